// Command pulumi-language-python is the Python language host that the pinned Pulumi CLI
// starts to run this project's __main__.py.
//
// Pulumi's own host lives in a module of its own (sdk/python/cmd/pulumi-language-python/v3)
// that is never tagged and that the Go module proxy does not serve, so it cannot be built
// here. This host answers the calls `pulumi install|preview|up|refresh|destroy` make, on top of
// the same pieces Pulumi's host is built from: sdk/v3's Python toolchain resolves (and for
// `pulumi install` creates) the virtualenv named in Pulumi.yaml, and the program runs through
// `pulumi-language-python-exec` from the sdk/v3 module of the same version, which the build
// puts next to this binary. It also runs Python policy packs (`pulumi preview --policy-pack
// DIR`) for the engine: see RunPlugin.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	// The script that runs a Python program for the engine; it ships in sdk/v3's python/cmd.
	execScript = "pulumi-language-python-exec"
	// The exit code with which the Python SDK says it has already shown the user the error.
	exitAfterUserActionableMessage = 32
	// How long the host outlives an engine that stopped answering.
	engineHealthWindow = 5 * time.Minute
)

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	exec          string
	engineAddress string
	cancel        context.Context
	stop          context.CancelFunc
}

func main() {
	showVersion := flag.Bool("version", false, "print the plugin's version and exit")
	flag.String("tracing", "", "accepted for compatibility; tracing is not supported")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}

	self, err := os.Executable()
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not find the language host's own path: %w", err))
	}
	script := filepath.Join(filepath.Dir(self), execScript)
	if _, err := os.Stat(script); err != nil {
		cmdutil.Exit(fmt.Errorf("missing %s next to the language host: %w", execScript, err))
	}

	ctx, cancelSignal := signal.NotifyContext(context.Background(), os.Interrupt)
	done := make(chan bool)
	go func() {
		<-ctx.Done()
		cancelSignal()
		close(done)
	}()

	runCtx, stop := context.WithCancel(context.Background())
	h := &host{exec: script, cancel: runCtx, stop: stop}
	if flag.NArg() > 0 {
		h.engineAddress = flag.Arg(0)
		if err := rpcutil.Healthcheck(ctx, h.engineAddress, engineHealthWindow, cancelSignal); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start the engine health check: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: done,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the language host's gRPC server: %w", err))
	}
	// The engine reads the port off the first line.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("the language host stopped serving: %w", err))
	}
}

// pythonToolchain resolves the interpreter the way Pulumi.yaml's runtime options ask.
func pythonToolchain(info *pulumirpc.ProgramInfo) (toolchain.Toolchain, error) {
	return resolveToolchain(info, false)
}

// resolveToolchain is pythonToolchain for a program, or for a plugin (a policy pack), which as in
// Pulumi's host never runs in the ambient Python: its virtualenv defaults to `venv`.
func resolveToolchain(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.Toolchain, error) {
	opts := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	options := info.GetOptions().AsMap()
	if venv, ok := options["virtualenv"].(string); ok {
		opts.Virtualenv = venv
	}
	if checker, ok := options["typechecker"]; ok {
		// Pulumi's host runs it before the program; ignoring it would skip the check unnoticed.
		return nil, fmt.Errorf("the typechecker option (%v) is not supported by this language host: "+
			"remove it from Pulumi.yaml and run the type checker yourself (make lint runs mypy)", checker)
	}
	switch options["toolchain"] {
	case nil, "pip":
		opts.Toolchain = toolchain.Pip
	case "uv":
		opts.Toolchain = toolchain.Uv
	case "poetry":
		opts.Toolchain = toolchain.Poetry
	default:
		return nil, fmt.Errorf("unsupported toolchain option %v: use pip, uv or poetry", options["toolchain"])
	}
	if isPlugin && opts.Toolchain == toolchain.Pip && opts.Virtualenv == "" {
		opts.Virtualenv = "venv"
	}
	return toolchain.ResolveToolchain(opts)
}

func (h *host) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPackages reports none: the program needs no plugin beyond the dynamic provider's,
// which ships with the CLI. Pulumi's host lists every installed package that carries a
// pulumi-plugin.json, pulumi-aws's included, and the engine would then look for its plugin.
func (h *host) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := pythonToolchain(req.GetInfo())
	if err != nil {
		return nil, err
	}
	packages, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(packages))
	for _, p := range packages {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// About answers the two facts the engine records with every update (the interpreter and its version)
// from one Python start. sdk/v3's toolchain About also runs `python -m pip --version`, whose answer the
// engine never sees here: importing pip costs more CPU than the rest of About together, on every
// preview, up, refresh and destroy.
func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	tc, err := pythonToolchain(req.GetInfo())
	if err != nil {
		return nil, err
	}
	cmd, err := tc.Command(ctx, "-c", "import sys; print(sys.executable); print(sys.version.split()[0])")
	if err != nil {
		return nil, err
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("could not run the program's Python: %w", err)
	}
	executable, versionText, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	pythonVersion, err := toolchain.ParsePythonVersion(versionText)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: executable, Version: pythonVersion.String()}, nil
}

// InstallDependencies serves `pulumi install` as Pulumi's own host does: sdk/v3's toolchain creates the
// virtualenv that Pulumi.yaml names and installs requirements.txt into it (pip, uv or poetry alike),
// its output streamed to the user as it comes. A policy pack packaged with a pyproject.toml is
// installed into its virtualenv as well, since the pack runs from there.
func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	info := req.GetInfo()
	if info == nil {
		// Engines older than ProgramInfo name only the folder.
		info = &pulumirpc.ProgramInfo{RootDirectory: req.GetDirectory(), ProgramDirectory: req.GetDirectory()}
	}
	tc, err := resolveToolchain(info, req.GetIsPlugin())
	if err != nil {
		return err
	}
	// pip's stdout and stderr are copied onto the stream by two goroutines.
	server = &serialInstallServer{LanguageRuntime_InstallDependenciesServer: server}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	// Closed explicitly below, where its error counts; this one only covers the early returns.
	defer closer.Close()

	ctx := server.Context()
	programDir := info.GetProgramDirectory()
	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	if req.GetIsPlugin() {
		buildable, err := toolchain.IsBuildablePackage(programDir)
		if err != nil {
			return fmt.Errorf("could not tell whether %s is a buildable Python package: %w", programDir, err)
		}
		if buildable {
			err := tc.InstallPackage(ctx, programDir, req.GetUseLanguageVersionTools(), true, stdout, stderr)
			if err != nil {
				return err
			}
		}
	}
	err = tc.InstallDependencies(ctx, programDir, req.GetUseLanguageVersionTools(), true, stdout, stderr)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.stop()
	return &emptypb.Empty{}, nil
}

// Run runs the program with the virtualenv's Python, as `pulumi-language-python-exec`
// expects to be run, and turns its exit into the answer the engine understands.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if h.engineAddress == "" {
		return nil, errors.New("the engine's address is unknown: Handshake must come before Run")
	}
	if req.GetAttachDebugger() {
		// Pulumi's host starts the program under debugpy; this one would run it without, silently.
		return nil, status.Error(codes.Unimplemented,
			"this language host cannot attach a debugger: run without --attach-debugger")
	}
	tc, err := pythonToolchain(req.GetInfo())
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}

	runCtx, cancel := context.WithCancel(h.cancel)
	defer cancel()
	context.AfterFunc(ctx, cancel)
	cmd, err := tc.Command(runCtx, append([]string{h.exec}, h.arguments(req)...)...)
	if err != nil {
		return nil, err
	}
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	env, err := configEnv(req.GetConfig(), req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, env...)

	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == exitAfterUserActionableMessage:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode()),
		}, nil
	default:
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
		}, nil
	}
}

// arguments are the flags `pulumi-language-python-exec` reads, then the entry point.
func (h *host) arguments(req *pulumirpc.RunRequest) []string {
	var args []string
	for _, flag := range [][2]string{
		{"monitor", req.GetMonitorAddress()},
		{"engine", h.engineAddress},
		{"project", req.GetProject()},
		{"root_directory", req.GetInfo().GetRootDirectory()},
		{"stack", req.GetStack()},
		{"pwd", req.GetPwd()},
		{"dry_run", strconv.FormatBool(req.GetDryRun())},
		{"parallel", strconv.Itoa(int(req.GetParallel()))},
		{"organization", req.GetOrganization()},
	} {
		if flag[1] != "" {
			args = append(args, "--"+flag[0], flag[1])
		}
	}
	args = append(args, req.GetInfo().GetEntryPoint())
	return append(args, req.GetArgs()...)
}

// configEnv passes the stack's config and the names of its secret keys to the SDK.
func configEnv(config map[string]string, secretKeys []string) ([]string, error) {
	if config == nil {
		config = map[string]string{}
	}
	if secretKeys == nil {
		secretKeys = []string{}
	}
	var env []string
	for name, value := range map[string]any{"PULUMI_CONFIG": config, "PULUMI_CONFIG_SECRET_KEYS": secretKeys} {
		encoded, err := json.Marshal(value)
		if err != nil {
			return nil, fmt.Errorf("could not encode %s: %w", name, err)
		}
		env = append(env, name+"="+string(encoded))
	}
	return env, nil
}

// RunPlugin runs a Python policy pack, the only kind of plugin this host runs, as Pulumi's own
// host does: `python -u -m pulumi.policy ENGINE PACK_DIR` with the virtualenv that the pack's
// PulumiPolicy.yaml names, in the pack's folder. pulumi-policy learns the stack only from PULUMI_*
// variables, so sdk/v3's PolicyProxy answers the engine first, takes the stack's configuration,
// and then forwards every call to the pack once it is started with those variables.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.GetKind() != string(apitype.AnalyzerPlugin) {
		return status.Errorf(codes.Unimplemented,
			"this language host runs Python policy packs only, not plugins of kind %q", req.GetKind())
	}
	if req.GetAttachDebugger() {
		return status.Error(codes.Unimplemented, "this language host cannot attach a debugger to a policy pack")
	}
	ctx := server.Context()
	server = &serialServer{LanguageRuntime_RunPluginServer: server}
	tc, err := pythonToolchain(req.GetInfo())
	if err != nil {
		return err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return fmt.Errorf("the policy pack's virtualenv is not usable: %w", err)
	}
	packDir := req.GetInfo().GetProgramDirectory()
	// -u: the pack announces its port on stdout and never flushes it.
	args := append(append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...), packDir)
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return err
	}
	// Python policy packs have always run from their own folder.
	cmd.Dir = packDir

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	proxy, packStdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start the policy pack proxy: %w", err)
	}
	stack, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get the stack's configuration for the policy pack: %w", err)
	}
	env, err := stackEnv(stack)
	if err != nil {
		return err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	// Later entries win: the engine's environment for plugins (ESC values, credentials), then the stack.
	cmd.Env = append(append(cmd.Env, req.GetEnv()...), env...)
	cmd.Stdout, cmd.Stderr = packStdout, stderr
	if err := cmd.Start(); err != nil {
		proxy.Abort(err)
		return fmt.Errorf("could not run the policy pack with %s: %w", cmd.Path, err)
	}

	var exitErr *exec.ExitError
	switch err := proxy.Attach(ctx, cmd); {
	case errors.As(err, &exitErr):
		return server.Send(&pulumirpc.RunPluginResponse{
			Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitErr.ExitCode())},
		})
	case err != nil:
		return err
	}
	return nil
}

// serialServer sends one message at a time, as gRPC requires of a stream: the pack's stdout and
// stderr are copied onto it by two goroutines.
type serialServer struct {
	pulumirpc.LanguageRuntime_RunPluginServer
	mu sync.Mutex
}

func (s *serialServer) Send(resp *pulumirpc.RunPluginResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.LanguageRuntime_RunPluginServer.Send(resp)
}

// serialInstallServer is serialServer for InstallDependencies' stream.
type serialInstallServer struct {
	pulumirpc.LanguageRuntime_InstallDependenciesServer
	mu sync.Mutex
}

func (s *serialInstallServer) Send(resp *pulumirpc.InstallDependenciesResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.LanguageRuntime_InstallDependenciesServer.Send(resp)
}

// stackEnv describes the stack to pulumi-policy the way its runtime settings read it; none when
// the engine names no stack (`pulumi policy publish`).
func stackEnv(stack *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if stack == nil {
		return nil, nil
	}
	env, err := configEnv(stack.GetConfig(), stack.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	for name, value := range map[string]string{
		"PULUMI_ORGANIZATION": stack.GetOrganization(),
		"PULUMI_PROJECT":      stack.GetProject(),
		"PULUMI_STACK":        stack.GetStack(),
		"PULUMI_DRY_RUN":      strconv.FormatBool(stack.GetDryRun()),
	} {
		if value != "" {
			env = append(env, name+"="+value)
		}
	}
	return env, nil
}
