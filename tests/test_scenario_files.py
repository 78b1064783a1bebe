"""Scenario files: the contract file runs unchanged, strategies merge, --set overrides, and every
kind of bad input gets one located line naming the key path and what is allowed."""

from pathlib import Path

import pytest
import yaml

from sim.distributions import Exponential, Lognormal
from sim.loader import ScenarioError, load_study, load_text
from sim.scenario import AgentGroup, Scenario

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """\
name: Erlang A check
horizon: 20d
warmup: 1d
replications: 5
seed: 7
demand:
  general:
    arrivals_per_hour: 114
agents:
  frontline:
    headcount: 10
    serves: [general]
    handle_time: {dist: exponential, mean: 5m}
patience: {dist: exponential, mean: 2m}
"""


def errors_of(text: str, *overrides: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "s.yaml", overrides)
    return caught.value.lines


def test_the_design_contract_file_loads_unchanged():
    study = load_text(MINIMAL, "s.yaml")
    assert list(study.strategies) == ["base"]
    scenario = study.first
    assert scenario.horizon == 20 * 86400 and scenario.warmup == 86400
    assert scenario.replications == 5 and scenario.seed == 7
    assert scenario.demand["general"].arrivals_per_hour == 114
    assert scenario.agents["frontline"].handle_time == Exponential(mean=300)
    assert scenario.patience == Exponential(mean=120)
    assert scenario.service_level_threshold == 20
    assert scenario.queue_names == ["general"]


def test_shipped_erlang_scenario_is_the_contract_file():
    shipped = yaml.safe_load((ROOT / "scenarios/erlang_a.yaml").read_text())
    assert shipped == yaml.safe_load(MINIMAL)


def test_scenario_objects_are_frozen():
    scenario = load_text(MINIMAL).first
    with pytest.raises(Exception):
        scenario.horizon = 5


STRATEGIES = MINIMAL + """\
strategies:
  lean: {}
  staffed:
    agents:
      frontline:
        headcount: 12
        handle_time: {dist: lognormal, mean: 5m, cv: 0.8}
  patient:
    patience: null
"""


def test_strategies_deep_merge_in_file_order():
    study = load_text(STRATEGIES)
    assert list(study.strategies) == ["lean", "staffed", "patient"]
    staffed = study.strategies["staffed"].agents["frontline"]
    assert staffed.headcount == 12
    assert staffed.serves == ["general"]  # untouched keys kept
    assert isinstance(staffed.handle_time, Lognormal) and staffed.handle_time.cv == 0.8
    assert study.strategies["patient"].patience is None  # null deletes
    assert study.strategies["lean"] == load_text(MINIMAL).first


def test_set_overrides_base_before_patches_and_one_strategy_by_path():
    study = load_text(STRATEGIES, "s.yaml",
                      ["agents.frontline.headcount=11", "strategies.staffed.service_level_threshold=30",
                       "horizon=5d"])
    assert study.strategies["lean"].agents["frontline"].headcount == 11
    assert study.strategies["staffed"].agents["frontline"].headcount == 12  # patch wins
    assert study.strategies["staffed"].service_level_threshold == 30
    assert study.strategies["lean"].service_level_threshold == 20
    assert all(s.horizon == 5 * 86400 for s in study.strategies.values())


def test_resolved_yaml_loads_back_to_the_same_strategies():
    study = load_text(STRATEGIES, "s.yaml", ["agents.frontline.hourly_cost=30"])
    again = load_text(study.resolved_yaml())
    assert again.strategies == study.strategies
    text = study.resolved_yaml()
    assert "hourly_cost: 30" in text and "service_level_threshold: 20s" in text  # defaults filled


RUN_WIDE = ("a run-wide setting: set it at the top level, not in a strategy (every strategy runs with the same "
            "horizon, warmup, replications, seed)")

BAD = [
    ("", ["s.yaml:1:1: (top): a scenario mapping with at least horizon, demand and agents (got an empty file)"]),
    ("# only a comment\n", ["s.yaml:1:1: (top): a scenario mapping with at least horizon, demand and agents (got an empty file)"]),
    ("horizon: [1, 2\n", ["s.yaml:2:1: not valid YAML: expected ',' or ']', but got '<stream end>'"]),
    ("- a\n- b\n", ["s.yaml:1:1: (top): a mapping of scenario keys (got a list)"]),
    ("just text\n", ["s.yaml:1:1: (top): a mapping of scenario keys (got str 'just text')"]),
    (MINIMAL.replace("headcount: 10", "headcount: ten"),
     ["s.yaml:11:16: agents.frontline.headcount: a whole number (got 'ten')"]),
    (MINIMAL.replace("headcount: 10", "headcount: 10.5"),
     ["s.yaml:11:16: agents.frontline.headcount: a whole number (got 10.5)"]),
    (MINIMAL.replace("headcount: 10", "headcount: yes"),
     ["s.yaml:11:16: agents.frontline.headcount: a whole number (got True)"]),
    (MINIMAL.replace("arrivals_per_hour: 114", "arrivals_per_hour: -114"),
     ["s.yaml:8:24: demand.general.arrivals_per_hour: must be >= 0 (got -114)"]),
    (MINIMAL.replace("horizon: 20d", "horizon: 20 days"),
     ["s.yaml:2:10: horizon: a duration: seconds, or a number with a unit s, m, h, d, w "
      "(like 45s, 5m, 2.5h, 30d) (got '20 days')"]),
    (MINIMAL.replace("horizon: 20d", "horizon: 100000000d"),
     ["s.yaml:2:10: horizon: must be <= 3650d, ten years (got 100000000d)"]),
    (MINIMAL.replace("warmup: 1d", "warmup: 21d"),
     ["s.yaml:3:9: warmup: must be shorter than the horizon (20d) (got 21d)"]),
    (MINIMAL.replace("serves: [general]", "serves: [genral]"),
     ["s.yaml:9:1: agents: some group must serve queue 'general' (no group does)",
      "s.yaml:12:14: agents.frontline.serves[0]: an existing queue: one of general (got 'genral') "
      "(did you mean 'general'?)"]),
    (MINIMAL.replace("{dist: exponential, mean: 2m}", "{dist: exponentail, mean: 2m}"),
     ["s.yaml:14:18: patience.dist: one of exponential, lognormal, gamma, weibull, constant, uniform, "
      "empirical (got 'exponentail') (did you mean 'exponential'?)"]),
    (MINIMAL.replace("{dist: exponential, mean: 2m}", "{mean: 2m}"),
     ["s.yaml:14:1: patience: a distribution with 'dist': one of exponential, lognormal, gamma, weibull, "
      "constant, uniform, empirical (got {mean: 2m})"]),
    (MINIMAL.replace("{dist: exponential, mean: 2m}", "{dist: exponential, mean: 0}"),
     ["s.yaml:14:37: patience.mean: must be > 0 (got 0)"]),
    (MINIMAL.replace("    handle_time:", "    resolve_probability: 1.3\n    handle_time:"),
     ["s.yaml:13:26: agents.frontline.resolve_probability: must be <= 1 (got 1.3)"]),
    (MINIMAL.replace("    handle_time:", "    resolve_probability: -0.1\n    handle_time:"),
     ["s.yaml:13:26: agents.frontline.resolve_probability: must be >= 0 (got -0.1)"]),
    (MINIMAL.replace("patience:", "patiense:"),
     [f"s.yaml:14:1: patiense: unknown key; allowed: {', '.join(Scenario.model_fields)} "
      "(did you mean 'patience'?)"]),
    (MINIMAL.replace("  frontline:\n", "  frontline:\n    hedcount: 3\n"),
     [f"s.yaml:11:5: agents.frontline.hedcount: unknown key; allowed: {', '.join(AgentGroup.model_fields)} "
      "(did you mean 'headcount'?)"]),
    (MINIMAL.replace("horizon: 20d\n", ""),
     ["s.yaml:1:1: horizon: required (missing)"]),
    (MINIMAL.replace("replications: 5", "replications: 5\nreplications: 6"),
     ["s.yaml:5:1: replications: each key once (got 'replications' twice)"]),
    (MINIMAL + "queues: {support: {}}\n",
     ["s.yaml:7:3: demand.general: joins queue 'general', which is not in queues; queues are: support",
      "s.yaml:9:1: agents: some group must serve queue 'support' (no group does)",
      "s.yaml:12:14: agents.frontline.serves[0]: an existing queue: one of support (got 'general')"]),
    (MINIMAL + "strategies:\n  fast:\n    agents: {frontline: {headcount: -2}}\n",
     ["s.yaml:17:37: strategies.fast.agents.frontline.headcount: must be >= 0 (got -2)"]),
    (MINIMAL + "strategies: [a, b]\n",
     ["s.yaml:15:1: strategies: a mapping of strategy names to patches (got a list)"]),
    (MINIMAL + "strategies: {}\n",
     ["s.yaml:15:1: strategies: at least one strategy: a mapping of strategy names to patches (leave strategies "
      "out to run the scenario once as base) (got an empty mapping)"]),
    # a bare value where a distribution is expected says how to write one
    (MINIMAL.replace("{dist: exponential, mean: 2m}", "2m"),
     ["s.yaml:14:11: patience: a distribution such as {dist: constant, value: 2m} (got '2m')"]),
    (MINIMAL.replace("{dist: exponential, mean: 5m}", "300"),
     ["s.yaml:13:18: agents.frontline.handle_time: a distribution such as {dist: constant, value: 300} (got 300)"]),
    # a misspelt member in a strategy: a did-you-mean, not a line per key a new member would need
    (MINIMAL + "strategies:\n  a: {}\n  b: {agents: {frontlin: {headcount: 12}}}\n",
     ["s.yaml:17:16: strategies.b.agents.frontlin: an existing member of agents: one of frontline "
      "(got 'frontlin') (did you mean 'frontline'?); a new member would need serves, handle_time"]),
    # a character YAML does not allow, located
    ("horizon: 20d\x00\n", ["s.yaml:1:13: not valid YAML: printable characters only (got #x0000)"]),
    # run-wide settings: strategies are compared over the same window, replication by replication
    (MINIMAL + "strategies:\n  a: {}\n  b: {horizon: 5d, replications: 3}\n",
     [f"s.yaml:17:7: strategies.b.horizon: {RUN_WIDE} (got '5d')",
      f"s.yaml:17:20: strategies.b.replications: {RUN_WIDE} (got 3)"]),
    (MINIMAL + "strategies:\n  a:\n    warmup: 2d\n    seed: 8\n",
     [f"s.yaml:17:5: strategies.a.warmup: {RUN_WIDE} (got '2d')",
      f"s.yaml:18:5: strategies.a.seed: {RUN_WIDE} (got 8)"]),
]


@pytest.mark.parametrize("text, expected", BAD, ids=range(len(BAD)))
def test_bad_input_gets_one_located_line_per_mistake(text, expected):
    assert errors_of(text) == expected


def test_zero_rate_is_allowed_and_means_none():
    scenario = load_text(MINIMAL.replace("arrivals_per_hour: 114", "arrivals_per_hour: 0")).first
    assert scenario.demand["general"].arrivals_per_hour == 0


def test_several_mistakes_are_all_reported_in_file_order():
    text = MINIMAL.replace("headcount: 10", "headcount: -1").replace("replications: 5", "replications: 0")
    lines = errors_of(text)
    assert [line.split(":")[1] for line in lines] == ["4", "11"]


@pytest.mark.parametrize("override, expected", [
    ("agents.frontline.headcount=-1",
     "s.yaml: --set agents.frontline.headcount=-1: agents.frontline.headcount: must be >= 0 (got -1)"),
    ("agents.frontline.headcount", "s.yaml: --set agents.frontline.headcount: a key.path=value pair (got no '=')"),
    ("patience.dist=weird",
     "s.yaml: --set patience.dist=weird: patience.dist: one of exponential, lognormal, gamma, weibull, "
     "constant, uniform, empirical (got 'weird')"),
    ("strategies.nope.seed=1",
     "s.yaml: --set strategies.nope.seed=1: strategies.NAME.key with NAME one of (no strategies) (got 'strategies.nope')"),
    ("horizon.value=3", "s.yaml: --set horizon.value=3: horizon: cannot set a key inside str '20d'"),
    ("foo.bar=1", f"s.yaml: --set foo.bar=1: foo: unknown key; allowed: {', '.join(Scenario.model_fields)}"),
    ("agents.frontline.hold.probability=0.5",
     "s.yaml: --set agents.frontline.hold.probability=0.5: agents.frontline.hold.duration: required (missing)"),
])
def test_set_errors_name_the_option(override, expected):
    assert errors_of(MINIMAL, override) == [expected]


def test_a_strategy_may_not_change_run_wide_settings_from_the_command_line():
    assert errors_of(STRATEGIES, "strategies.staffed.seed=9") == [
        f"s.yaml: --set strategies.staffed.seed=9: strategies.staffed.seed: {RUN_WIDE} (got 9)"]


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_study(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="is a folder"):
        load_study(tmp_path)
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(MINIMAL.encode() + b"\x00")
    with pytest.raises(ScenarioError) as caught:
        load_study(nul)
    assert caught.value.lines == [f"{nul}:15:1: not valid YAML: printable characters only (got #x0000)"]
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ScenarioError, match="not a text file"):
        load_study(binary)
