"""Guard rails through the real CLI: protection, and the stack's `aws:profile` as pulumi-aws reads it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.support import KEY, PARTNER_ACCOUNT_TYPE, STACK_AMAZON_ID

# Pulumi's own words: a replacement "...as it is currently marked for protection", a delete
# "...cannot be deleted\nbecause it is protected".
PROTECTED_REPLACE = "as it is currently marked for protection"
PROTECTED_DELETE = "because it is protected"


@pytest.fixture
def protected(project: PulumiProject, emulator: Emulator) -> PulumiProject:
    """Return the stack deployed with `sidewalk:protect` on, the request log emptied."""
    project.config_set("sidewalk:protect", True)
    project.run("up", "--yes", "--skip-preview")
    emulator.clear_log()
    return project


def urn_of_account(project: PulumiProject) -> str:
    """Return the URN of the stack's PartnerAccount."""
    [resource] = project.resources(PARTNER_ACCOUNT_TYPE)
    return str(resource["urn"])


def test_protect_marks_the_association_protected_in_state(protected: PulumiProject) -> None:
    """`sidewalk:protect` reaches the resource as Pulumi's protect option."""
    [resource] = protected.resources(PARTNER_ACCOUNT_TYPE)
    assert resource.get("protect") is True


def test_protected_replacement_fails_in_preview_before_any_aws_call(
    protected: PulumiProject, emulator: Emulator
) -> None:
    """A new amazonId on a protected association fails `pulumi preview` with Pulumi's message."""
    protected.config_set("sidewalk:amazonId", "amzn1.account.OTHER")
    preview = protected.run("preview", check=False)
    assert preview.returncode != 0
    assert PROTECTED_REPLACE in preview.output
    assert emulator.calls() == []


def test_protected_destroy_fails_before_any_aws_call(protected: PulumiProject, emulator: Emulator) -> None:
    """`pulumi destroy` of a protected association fails with Pulumi's message and calls nothing."""
    destroy = protected.run("destroy", "--yes", check=False)
    assert destroy.returncode != 0
    assert PROTECTED_DELETE in destroy.output
    assert emulator.calls() == []
    assert len(emulator.backend.associations()) == 1


def test_state_unprotect_lifts_protection_for_an_intended_replacement(
    protected: PulumiProject, emulator: Emulator
) -> None:
    """`pulumi state unprotect` then `pulumi up` replaces as intended."""
    protected.config_set("sidewalk:amazonId", "amzn1.account.OTHER")
    protected.run("state", "unprotect", urn_of_account(protected), "--yes")
    protected.config_set("sidewalk:protect", False)
    protected.run("up", "--yes", "--skip-preview")
    assert [a["AmazonId"] for a in emulator.backend.associations()] == ["amzn1.account.OTHER"]


def test_turning_protect_off_in_config_unprotects_without_aws_calls(
    protected: PulumiProject, emulator: Emulator
) -> None:
    """Setting `sidewalk:protect` false and running `pulumi up` lifts protection, calling nothing."""
    protected.config_set("sidewalk:protect", False)
    protected.run("up", "--yes", "--skip-preview")
    [resource] = protected.resources(PARTNER_ACCOUNT_TYPE)
    assert not resource.get("protect")
    assert emulator.calls() == []
    protected.run("destroy", "--yes")
    assert emulator.backend.associations() == []


# aws:profile -----------------------------------------------------------------------------------

PROFILES = {
    "alpha": ("AKIDALPHA000000000001", "alpha-secret"),
    "beta": ("AKIDBETA0000000000002", "beta-secret"),
}


@pytest.fixture
def profiled_emulator() -> Iterator[Emulator]:
    """Return an emulator that checks signatures against the two profiles' credentials only."""
    with Emulator(credentials=dict(PROFILES.values())) as emulator:
        yield emulator


@pytest.fixture
def profiled(tmp_path: Path, cli_bin: Path, profiled_emulator: Emulator) -> Callable[..., PulumiProject]:
    """Return a factory of stacks whose AWS config file holds the profiles alpha and beta, no default."""
    config = tmp_path / "aws-config"
    config.write_text(
        "".join(
            f"[profile {name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
            for name, (key, secret) in PROFILES.items()
        )
    )

    def make(**env: str | None) -> PulumiProject:
        project = PulumiProject(
            tmp_path / "project",
            cli_bin,
            profiled_emulator.url,
            {
                "AWS_CONFIG_FILE": str(config),
                "AWS_ACCESS_KEY_ID": None,
                "AWS_SECRET_ACCESS_KEY": None,
                **env,
            },
        ).init()
        project.config_set("aws:region", "us-east-1")
        project.config_set("sidewalk:amazonId", STACK_AMAZON_ID)
        project.config_set("sidewalk:appServerPrivateKey", KEY, secret=True)
        return project

    return make


def access_keys(emulator: Emulator) -> set[str | None]:
    """Return the access keys of every logged request."""
    return {entry["access_key"] for entry in emulator.log}


def test_stack_aws_profile_signs_every_request(
    profiled: Callable[..., PulumiProject], profiled_emulator: Emulator
) -> None:
    """With `aws:profile` in stack config, every AWS call is signed with that profile's key."""
    project = profiled()
    project.config_set("aws:profile", "beta")
    project.run("up", "--yes", "--skip-preview")
    assert access_keys(profiled_emulator) == {PROFILES["beta"][0]}
    assert len(profiled_emulator.backend.associations()) == 1


def test_aws_profile_environment_applies_when_config_is_unset(
    profiled: Callable[..., PulumiProject], profiled_emulator: Emulator
) -> None:
    """Without `aws:profile`, AWS_PROFILE chooses the credentials, as for any AWS tool."""
    project = profiled(AWS_PROFILE="alpha")
    project.run("up", "--yes", "--skip-preview")
    assert access_keys(profiled_emulator) == {PROFILES["alpha"][0]}


def test_stack_aws_profile_wins_over_the_environment(
    profiled: Callable[..., PulumiProject], profiled_emulator: Emulator
) -> None:
    """`aws:profile` in stack config wins over AWS_PROFILE, as pulumi-aws has it."""
    project = profiled(AWS_PROFILE="alpha")
    project.config_set("aws:profile", "beta")
    project.run("up", "--yes", "--skip-preview")
    assert access_keys(profiled_emulator) == {PROFILES["beta"][0]}


def test_changing_the_profile_never_replaces_the_association(
    profiled: Callable[..., PulumiProject], profiled_emulator: Emulator
) -> None:
    """A new `aws:profile` changes the credentials of later calls, never the association."""
    project = profiled()
    project.config_set("aws:profile", "alpha")
    project.run("up", "--yes", "--skip-preview")
    project.config_set("aws:profile", "beta")
    assert project.run("preview", "--expect-no-changes", check=False).returncode == 0
    # Refresh and destroy configure the provider with the config of the last up: take it now.
    profiled_emulator.clear_log()
    project.run("up", "--yes", "--skip-preview")
    assert profiled_emulator.calls() == []
    project.run("refresh", "--yes")
    assert access_keys(profiled_emulator) == {PROFILES["beta"][0]}
    profiled_emulator.clear_log()
    project.run("destroy", "--yes")
    assert [(e["operation"], e["access_key"]) for e in profiled_emulator.log] == [
        ("ListTagsForResource", PROFILES["beta"][0]),
        ("DisassociateAwsAccountFromPartnerAccount", PROFILES["beta"][0]),
    ]
