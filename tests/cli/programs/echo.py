"""A probe program: a dynamic provider echoing its config, whose read adds an output under a secret input."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import ConfigureRequest, CreateResult, ReadResult, Resource, ResourceProvider


class EchoProvider(ResourceProvider):
    """Create outputs the `sidewalk:tags` config as the provider was given it; read adds `nested`."""

    config_tags: Any = None

    def configure(self, req: ConfigureRequest) -> None:
        """Keep the `sidewalk:tags` config exactly as it reached the provider."""
        self.config_tags = req.config.get("sidewalk:tags")

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Answer with the config seen and no `nested` output."""
        return CreateResult("echo", {"configTags": self.config_tags})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Answer with the old outputs plus a `nested` one, under the input that holds a secret."""
        return ReadResult(id_, {**props, "nested": {"inner": "read-back"}})


class Echo(Resource):
    """A resource of EchoProvider whose `nested` input holds a secret."""

    # Named as the output is: the dynamic resource sets its outputs as attributes.
    configTags: pulumi.Output[Any]

    def __init__(self, name: str) -> None:
        nested = {"inner": pulumi.Output.secret("read-back")}
        super().__init__(EchoProvider(), name, {"nested": nested, "configTags": None})


echo = Echo("echo")
pulumi.export("configTags", echo.configTags)
