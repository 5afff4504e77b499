"""The offline main job: the real program deployed and destroyed through Pulumi's Automation API.

`make demo` (`python -m demo`) starts the IoT Wireless emulator, gives the Pulumi CLI a local
file state backend inside the project and a passphrase secrets provider, and runs preview, up
and destroy on a throwaway stack, streaming the CLI's own output.
"""
