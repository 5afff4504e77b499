"""What a reviewer sees: `pulumi preview` of the README's scenarios, through the real CLI."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli import render
from tests.cli.project import CliRun, PulumiProject
from tests.emulator import Emulator
from tests.support import KEY, OTHER_KEY, PARTNER_ACCOUNT_TYPE, assert_no_key

UPDATES = ("key-rotation", "tag-change")


def on_its_worker(scenario: str, *values: Any) -> Any:
    """Return a parameter of the scenario's tests, all sent to one xdist worker, which previews it once."""
    return pytest.param(scenario, *values, id=scenario, marks=pytest.mark.xdist_group(f"review-{scenario}"))


SCENARIOS = [on_its_worker(scenario) for scenario in sorted(render.SCENARIOS)]


@dataclass(frozen=True)
class Review:
    """The previews of one scenario, plain, --diff and --json, and the AWS calls they made."""

    plain: CliRun
    diff: CliRun
    plan: dict[str, Any]
    calls: list[str]

    @property
    def step(self) -> dict[str, Any]:
        """Return the PartnerAccount's step of `pulumi preview --json`."""
        steps: list[dict[str, Any]] = self.plan["steps"]
        [step] = [s for s in steps if s["urn"].split("::")[2] == PARTNER_ACCOUNT_TYPE]
        return step


@pytest.fixture(scope="module")
def reviewed(cli_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Review]:
    """Return the previews of a scenario, made once per worker (its tests share one) on a fresh stack."""
    reviews: dict[str, Review] = {}

    def review(scenario: str) -> Review:
        if scenario not in reviews:
            with Emulator() as emulator:
                project = PulumiProject(tmp_path_factory.mktemp(scenario), cli_bin, emulator.url)
                render.deploy(project)
                render.configure(project, render.SCENARIOS[scenario])
                emulator.clear_log()
                runs = {mode: render.preview(project, mode).check() for mode in render.MODES}
                # How many progress ticks the text shows, and where, depends on the machine's speed.
                plain, diff = (
                    dataclasses.replace(run, stdout=render.without_progress(run.stdout))
                    for run in (runs["plain"], runs["diff"])
                )
                reviews[scenario] = Review(plain, diff, runs["json"].json(), emulator.calls())
        return reviews[scenario]

    return review


@pytest.mark.parametrize(
    ("scenario", "op"),
    [
        on_its_worker("key-rotation", "update"),
        on_its_worker("tag-change", "update"),
        on_its_worker("replacement", "replace"),
    ],
)
def test_preview_plans_an_update_for_key_and_tags_and_a_replace_for_the_identity(
    reviewed: Callable[[str], Review], scenario: str, op: str
) -> None:
    """`pulumi preview --json` plans one step of the expected op and leaves the stack unchanged."""
    review = reviewed(scenario)
    assert review.step["op"] == op
    assert review.plan["changeSummary"] == {op: 1, "same": 1}


@pytest.mark.parametrize(
    ("scenario", "replace_reasons"),
    [
        on_its_worker("key-rotation", None),
        on_its_worker("tag-change", None),
        on_its_worker("replacement", ["amazonId"]),
    ],
)
def test_only_a_new_amazon_id_gives_replace_reasons(
    reviewed: Callable[[str], Review], scenario: str, replace_reasons: list[str] | None
) -> None:
    """The provider's diff names amazonId as the reason to replace, and nothing for key or tags."""
    assert reviewed(scenario).step.get("replaceReasons") == replace_reasons


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_preview_json_carries_no_diff_reasons(reviewed: Callable[[str], Review], scenario: str) -> None:
    """No step has diffReasons or a detailedDiff: the dynamic provider does not report changed keys."""
    step = reviewed(scenario).step
    assert "diffReasons" not in step
    assert step["detailedDiff"] is None


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_preview_shows_the_key_only_as_secret(reviewed: Callable[[str], Review], scenario: str) -> None:
    """`pulumi preview --diff` shows appServerPrivateKey as [secret]; no output carries either key."""
    review = reviewed(scenario)
    assert re.search(r"^ +appServerPrivateKey *: \[secret\]$", review.diff.stdout, flags=re.MULTILINE)
    assert review.plan["config"]["sidewalk:appServerPrivateKey"] == "[secret]"
    assert_no_key(review.plain.output + review.diff.output + json.dumps(review.plan), KEY, OTHER_KEY)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_preview_makes_no_aws_call(reviewed: Callable[[str], Review], scenario: str) -> None:
    """Every preview runs Check and Diff offline: the emulator sees no request."""
    assert reviewed(scenario).calls == []


@pytest.mark.parametrize("scenario", [on_its_worker(scenario) for scenario in UPDATES])
def test_key_and_tag_changes_say_update_and_never_replace(
    reviewed: Callable[[str], Review], scenario: str
) -> None:
    """The plain and --diff previews of key and tag changes say update, in place."""
    review = reviewed(scenario)
    update = rf"^ ~  {PARTNER_ACCOUNT_TYPE} sidewalk update\b"
    assert re.search(update, review.plain.stdout, flags=re.MULTILINE)
    assert f"~ {PARTNER_ACCOUNT_TYPE}: (update)" in review.diff.stdout
    assert "~ 1 to update" in review.plain.stdout
    assert "replace" not in review.plain.stdout + review.diff.stdout


@pytest.mark.xdist_group("review-replacement")
def test_replacement_preview_says_replace(reviewed: Callable[[str], Review]) -> None:
    """The plain and --diff previews of a new AmazonId say replace, because of amazonId."""
    review = reviewed("replacement")
    replace = rf"^ \+- {PARTNER_ACCOUNT_TYPE} sidewalk replace \[diff: ~amazonId,clientRequestToken\]$"
    assert re.search(replace, review.plain.stdout, flags=re.MULTILINE)
    assert "+-1 to replace" in review.plain.stdout
    assert f"+-{PARTNER_ACCOUNT_TYPE}: (replace)" in review.diff.stdout
    assert re.search(
        r'^ +~ amazonId +: "amzn1\.account\.EXAMPLE" => "amzn1\.account\.REPLACEMENT"$',
        review.diff.stdout,
        flags=re.MULTILINE,
    )


@pytest.mark.xdist_group("review-replacement")
def test_replacement_creates_the_new_association_before_deleting_the_old(
    reviewed: Callable[[str], Review],
) -> None:
    """The replacement is create-before-delete: `create replacement` comes before `delete original`."""
    plain = reviewed("replacement").plain.stdout
    assert 0 <= plain.find("sidewalk create replacement") < plain.find("sidewalk delete original")


@pytest.mark.xdist_group("review-tag-change")
def test_tag_change_diff_shows_each_changed_tag(reviewed: Callable[[str], Review]) -> None:
    """`pulumi preview --diff` marks tags changed, environment dev => prod and owner added."""
    diff = reviewed("tag-change").diff.stdout
    assert re.search(r"^ +~ tags +: \{$", diff, flags=re.MULTILINE)
    assert re.search(r'^ +~ environment: "dev" => "prod"$', diff, flags=re.MULTILINE)
    assert re.search(r'^ +\+ owner +: "platform"$', diff, flags=re.MULTILINE)
    assert "[diff: ~tags]" in reviewed("tag-change").plain.stdout


def test_up_with_nothing_changed_makes_no_aws_call(
    make_project: Callable[..., PulumiProject], emulator: Emulator
) -> None:
    """A second `pulumi up` of the deployed example stack changes nothing and calls nothing."""
    project = make_project()
    render.deploy(project)
    emulator.clear_log()
    # --expect-no-changes makes the CLI fail if the update would change anything.
    up = project.run("up", "--yes", "--skip-preview", "--expect-no-changes")
    assert "2 unchanged" in up.stdout
    assert emulator.calls() == []
