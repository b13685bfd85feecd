"""Cross-field checks of a validated Scenario, each reported at its YAML path.

Only what the file itself says is checked (no cluster, no images): party
references, namespaces, module prerequisites, step order and version steps.
"""

from __future__ import annotations

from fate_e2e.scenario.errors import YamlPath
from fate_e2e.scenario.schema import (
    AssertStep,
    ChaosStep,
    DeployStep,
    ExecStep,
    PartySpec,
    PodKillStep,
    ScaleStep,
    Scenario,
    SteadyState,
    Step,
    ToyStep,
    UpgradeStep,
    WaitStep,
)

Finding = tuple[YamlPath, str]

# Arguments each probe reads from an assert step's ``args`` (probes not listed take none).
PROBE_ARGS: dict[str, tuple[str, ...]] = {"toy": ("host", "timeout")}
OPTIONAL_MODULES = ("zookeeper", "sparkMaster", "sparkWorker")
_ATTRS = {"sparkMaster": "spark_master", "sparkWorker": "spark_worker"}


def has_module(party: PartySpec, module: str) -> bool:
    """Whether the party deploys ``module`` (optional modules only when listed)."""
    return getattr(party.modules, _ATTRS.get(module, module)) is not None


def module_replicas(party: PartySpec, module: str) -> int:
    """Declared replicas of a party's module; 0 when the module is not deployed."""
    spec = getattr(party.modules, _ATTRS.get(module, module))
    return int(spec.replicas) if spec is not None else 0


def _seconds(value: float) -> str:
    return f"{value:g}s"


class _Checker:
    """Walks the scenario once, tracking deployed parties, versions and replicas."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.findings: list[Finding] = []
        self.ids: dict[int, int] = {}
        for index, party in enumerate(scenario.parties):
            self.ids.setdefault(party.id, index)
        self.deployed: set[int] = set()
        self.versions = {p.id: scenario.version_of(p.id) for p in scenario.parties}
        self.replicas = {(p.id, m): module_replicas(p, m) for p in scenario.parties
                         for m in ("flow", "sparkWorker")}
        self.not_deployed_reported: set[int] = set()

    def add(self, path: YamlPath, message: str) -> None:
        self.findings.append((path, message))

    def run(self) -> list[Finding]:
        self.check_parties()
        if self.scenario.expect == "fail" and not self.scenario.issue:
            self.add(("expect",), "a scenario expected to fail needs an 'issue' naming the bug "
                                  "it reproduces")
        for section, steps in (("steps", self.scenario.steps), ("catch", self.scenario.catch),
                               ("finally", self.scenario.finally_)):
            for index, step in enumerate(steps):
                self.check_step(step, (section, index, step.kind), ordered=section == "steps")
        return self.findings

    # ------------------------------------------------------------ parties

    def check_parties(self) -> None:
        seen_ns: dict[str, int] = {}
        spark = self.scenario.fate.computing == "spark"
        for index, party in enumerate(self.scenario.parties):
            first = self.ids[party.id]
            if first != index:
                self.add(("parties", index, "id"),
                         f"duplicate party id {party.id} (also parties[{first}])")
            elif party.ns in seen_ns:
                other = seen_ns[party.ns]
                where = ("namespace",) if party.namespace else ("id",)
                default = "" if party.namespace else "default "
                self.add(("parties", index, *where),
                         f"{default}namespace '{party.ns}' is already used by party "
                         f"{self.scenario.parties[other].id} (parties[{other}])")
            seen_ns.setdefault(party.ns, index)
            self.check_modules(party, ("parties", index, "modules"), spark)
            for peer in party.route_overrides:
                route: YamlPath = ("parties", index, "routeOverrides", peer)
                if peer == party.id:
                    self.add(route, "a party has no route to itself to override")
                elif peer not in self.ids:
                    self.add(route, f"party {peer} is not declared in parties")

    def check_modules(self, party: PartySpec, path: YamlPath, spark: bool) -> None:
        flow = party.modules.flow.replicas
        if flow > 1 and not has_module(party, "zookeeper"):
            self.add((*path, "flow", "replicas"),
                     f"flow with {flow} replicas needs a zookeeper module (modules.zookeeper) "
                     "as its registry")
        missing = [m for m in ("sparkMaster", "sparkWorker") if not has_module(party, m)]
        if spark and missing:
            self.add(path, "fate.computing: spark needs "
                           + " and ".join(f"modules.{m}" for m in missing))
        if not spark:
            for module in ("sparkMaster", "sparkWorker"):
                if has_module(party, module):
                    self.add((*path, module), f"modules.{module} needs fate.computing: spark")

    # ------------------------------------------------------------ references

    def party_ref(self, path: YamlPath, party_id: int, *, ordered: bool) -> PartySpec | None:
        """The referenced party, or None after reporting why it cannot be used here."""
        if party_id not in self.ids:
            declared = ", ".join(str(i) for i in self.ids)
            self.add(path, f"party {party_id} is not declared in parties (declared: {declared})")
            return None
        if ordered and party_id not in self.deployed:
            if party_id not in self.not_deployed_reported:
                self.not_deployed_reported.add(party_id)
                self.add(path, f"party {party_id} is not deployed yet at this step "
                               "(add a deploy step before it)")
            return None
        return self.scenario.parties[self.ids[party_id]]

    def module_ref(self, path: YamlPath, party: PartySpec | None, module: str | None) -> bool:
        if party is None or module is None or has_module(party, module):
            return True
        self.add(path, f"party {party.id} has no {module} module "
                       f"(add modules.{module} to parties[{self.ids[party.id]}])")
        return False

    def two_parties(self, path: YamlPath, what: str) -> bool:
        count = len(self.ids)
        if count >= 2:
            return True
        self.add(path, f"{what} needs at least two parties; parties declares {count}")
        return False

    def toy_ref(self, path: YamlPath, toy: ToyStep, *, ordered: bool) -> None:
        if self.two_parties(path, "the toy"):
            self.party_ref((*path, "guest"), toy.guest, ordered=ordered)
            self.party_ref((*path, "host"), toy.host, ordered=ordered)

    def steady_state(self, path: YamlPath, steady: SteadyState) -> None:
        if "toy" in steady.probes and len(self.ids) < 2:
            self.add((*path, "steadyState", "probes"),
                     "the toy probe needs at least two parties; list other probes")

    def control(self, path: YamlPath, args: ChaosStep) -> None:
        """A negative control (blockRecovery) cannot pass: it must expect Fail."""
        if args.block_recovery and args.expect_verdict == "Pass":
            self.add((*path, "blockRecovery"), "blockRecovery keeps the fault from healing, so "
                                               "the step cannot pass: set expectVerdict: Fail")

    def recovery(self, step: Step, path: YamlPath, recovery: float) -> None:
        if step.timeout is not None and recovery > step.timeout:
            self.add((*path, "recoveryTimeout"),
                     f"recoveryTimeout {_seconds(recovery)} is longer than the step's timeout "
                     f"{_seconds(step.timeout)}")

    # ------------------------------------------------------------ steps

    def check_step(self, step: Step, path: YamlPath, *, ordered: bool) -> None:
        args = step.args
        if isinstance(args, DeployStep):
            self.deploy(args, path)
        elif isinstance(args, ToyStep):
            self.toy_ref(path, args, ordered=ordered)
        elif isinstance(args, PodKillStep):
            self.pod_kill(step, args, path, ordered=ordered)
        elif isinstance(args, ScaleStep):
            self.scale(step, args, path, ordered=ordered)
        elif isinstance(args, UpgradeStep):
            self.upgrade(step, args, path, ordered=ordered)
        elif isinstance(args, WaitStep):
            self.wait(args, path, ordered=ordered)
        elif isinstance(args, ExecStep):
            party = self.party_ref((*path, "party"), args.party, ordered=ordered)
            self.module_ref((*path, "module"), party, args.module)
        elif isinstance(args, AssertStep):
            self.assert_step(args, path, ordered=ordered)

    def deploy(self, args: DeployStep, path: YamlPath) -> None:
        if not args.parties:
            if args.parties is not None:
                self.add((*path, "parties"), "an empty list is ambiguous; omit 'parties' to "
                                             "deploy every party")
            self.deployed.update(self.ids)
            return
        seen: set[int] = set()
        for index, party_id in enumerate(args.parties):
            if party_id in seen:
                self.add((*path, "parties", index), f"party {party_id} is listed twice")
            seen.add(party_id)
            if self.party_ref((*path, "parties", index), party_id, ordered=False):
                self.deployed.add(party_id)

    def pod_kill(self, step: Step, args: PodKillStep, path: YamlPath, *, ordered: bool) -> None:
        party = None
        if args.party is not None:
            party = self.party_ref((*path, "party"), args.party, ordered=ordered)
        if self.module_ref((*path, "module"), party, args.module) and party and args.module:
            key = (party.id, args.module)
            pods = self.replicas[key] if ordered and key in self.replicas \
                else module_replicas(party, args.module)
            if pods == 0:
                self.add((*path, "module"), f"party {party.id} runs no {args.module} pods "
                                            "at this step (replicas: 0)")
            elif isinstance(args.count, int) and args.count > pods:
                self.add((*path, "count"), f"count {args.count} is more than the {pods} "
                                           f"{args.module} pod(s) of party {party.id}")
        if args.block_recovery and (args.party is None or args.module is None):
            self.add((*path, "blockRecovery"), "blockRecovery needs party and module (it "
                                               "scales the module to 0)")
        else:
            self.control(path, args)
        if args.toy is not None:
            if args.during != "toy":
                self.add((*path, "toy"), "a 'toy' block is only used with during: toy")
            else:
                self.toy_ref((*path, "toy"), args.toy, ordered=ordered)
        self.steady_state(path, args.steady_state)
        self.recovery(step, path, args.recovery_timeout)

    def scale(self, step: Step, args: ScaleStep, path: YamlPath, *, ordered: bool) -> None:
        party = self.party_ref((*path, "party"), args.party, ordered=ordered)
        if args.module == "sparkWorker" and self.scenario.fate.computing != "spark":
            self.add((*path, "module"), "scaling sparkWorker needs fate.computing: spark")
        elif self.module_ref((*path, "module"), party, args.module) and party is not None:
            if args.module == "flow" and args.replicas > 1 and \
                    not has_module(party, "zookeeper"):
                self.add((*path, "replicas"),
                         f"flow with {args.replicas} replicas needs a zookeeper module on party "
                         f"{party.id} (modules.zookeeper) as its registry")
            if ordered:
                self.replicas[(party.id, args.module)] = args.replicas
        if args.block_recovery and args.module != "flow":
            self.add((*path, "blockRecovery"), "blockRecovery of a scale step blocks flow "
                                               "registration in ZooKeeper: module must be flow")
        self.control(path, args)
        self.steady_state(path, args.steady_state)
        self.recovery(step, path, args.recovery_timeout)

    def upgrade(self, step: Step, args: UpgradeStep, path: YamlPath, *, ordered: bool) -> None:
        party = self.party_ref((*path, "party"), args.party, ordered=ordered)
        if party is not None and ordered:
            current = self.versions[party.id]
            if args.to == current:
                self.add((*path, "to"), f"party {party.id} is already on {current} at this "
                                        "step; upgrade.to must name another version")
            self.versions[party.id] = args.to
        self.control(path, args)
        self.steady_state(path, args.steady_state)
        self.recovery(step, path, args.recovery_timeout)

    def wait(self, args: WaitStep, path: YamlPath, *, ordered: bool) -> None:
        if args.party is None:
            return
        if args.duration is not None:
            self.add((*path, "party"), "'party' only applies to until: ready")
        else:
            self.party_ref((*path, "party"), args.party, ordered=ordered)

    def assert_step(self, args: AssertStep, path: YamlPath, *, ordered: bool) -> None:
        if args.party is not None:
            self.party_ref((*path, "party"), args.party, ordered=ordered)
        elif ordered and not self.deployed:
            self.add(path, "no party is deployed yet at this step (add a deploy step before it)")
        if args.probe == "toy" and not self.two_parties((*path, "probe"), "the toy probe"):
            return
        allowed = PROBE_ARGS.get(args.probe, ())
        for key, value in args.args.items():
            where = (*path, "args", key)
            if key not in allowed:
                takes = f"(allowed: {', '.join(allowed)})" if allowed else "(it takes none)"
                self.add(where, f"probe {args.probe} has no argument '{key}' {takes}")
            elif key == "timeout" and (isinstance(value, bool)
                                       or not isinstance(value, int | float) or value <= 0):
                self.add(where, "expected a positive number of seconds")
            elif key == "host":
                self.toy_host(where, args.party, value, ordered=ordered)

    def toy_host(self, path: YamlPath, guest: int | None, value: object, *,
                 ordered: bool) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, "expected a party id")
        elif value == guest:
            self.add(path, "the toy's host must be another party than its guest")
        else:
            self.party_ref(path, value, ordered=ordered)


def check_scenario(scenario: Scenario) -> list[Finding]:
    """Every cross-field problem of ``scenario`` as (YAML path, message), in file order."""
    return _Checker(scenario).run()
