"""The scenario model (apiVersion fate-e2e/v1): what a YAML scenario may say.

Field names are camelCase in YAML (Kubernetes style); every model forbids
unknown fields so typos fail loudly. Cross-references (party ids used by
steps) are checked in ``semantics``, which knows each field's path.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

API_VERSION = "fate-e2e/v1"
STEP_KINDS = ("deploy", "toy", "podKill", "scale", "upgrade", "wait", "exec", "assert")
MODULES = ("flow", "mariadb", "rabbitmq", "nginx", "zookeeper", "sparkMaster", "sparkWorker")
PROBES = (
    "pods-ready",
    "flow-healthy",
    "broker-reachable",
    "toy",
    "jobs-retained",
    "jobs-lost",
    "routes-configured",
    "listening",
    "flow-registered",
    "flow-tasks",
)

_DURATION = re.compile(r"^(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,7})s)?$")
MAX_DURATION = 7 * 24 * 3600
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_K8S_VERSION = re.compile(r"^v\d+\.\d+\.\d+$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")


def _duration(value: Any) -> Any:
    """Accept 90, "90s", "5m", "1h30m" (positive, at most 7 days); return seconds as float."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}: expected a duration like 90s, 5m or 1h30m")
    if isinstance(value, int | float):
        if not value > 0:  # also NaN
            raise ValueError(f"duration must be positive, got {value!r}")
        if value > MAX_DURATION:
            raise ValueError(f"duration {value!r} is longer than 7 days")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match and any(match.groups()):
            h, m, s = (int(g) if g else 0 for g in match.groups())
            total = h * 3600 + m * 60 + s
            if 0 < total <= MAX_DURATION:
                return float(total)
            if total > MAX_DURATION:
                raise ValueError(f"duration {value!r} is longer than 7 days")
        raise ValueError(f"invalid duration {value!r}: expected a duration like 90s, 5m or 1h30m")
    got = "null" if value is None else f"a {type(value).__name__}"
    raise ValueError(f"expected a duration like 90s, 5m or 1h30m, got {got}")


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lower-case letters, digits, '-', max 63)"
        )
    return value


def _fate_version(value: str) -> str:
    if not _VERSION.match(value):
        raise ValueError(f"{value!r} is not a FATE version like 2.2.0")
    return value


def _k8s_version(value: str) -> str:
    if not _K8S_VERSION.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes version like v1.34.4")
    return value


def _quantity(value: str) -> str:
    if not _QUANTITY.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity like 500m, 1, 512Mi or 2Gi")
    return value


Duration = Annotated[float, BeforeValidator(_duration)]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
FateVersion = Annotated[str, AfterValidator(_fate_version)]
K8sVersion = Annotated[str, AfterValidator(_k8s_version)]
Quantity = Annotated[str, AfterValidator(_quantity)]
PartyId = Annotated[int, Field(ge=1, le=99_999_999)]
ModuleName = Literal["flow", "mariadb", "rabbitmq", "nginx", "zookeeper", "sparkMaster",
                     "sparkWorker"]
ProbeName = Literal["pods-ready", "flow-healthy", "broker-reachable", "toy", "jobs-retained",
                    "jobs-lost", "routes-configured", "listening", "flow-registered",
                    "flow-tasks"]


class Model(BaseModel):
    """Base: camelCase aliases, unknown fields forbidden, strict-ish types."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True,
                              strict=False, validate_default=True)


# ---------------------------------------------------------------- cluster


class MinikubeSpec(Model):
    """minikube-specific settings (provider: minikube)."""

    profile: DnsLabel | None = None
    driver: Literal["docker", "kvm2", "virtualbox", "none", "podman", "qemu"] = "docker"
    cpus: int = Field(2, ge=1, le=64)
    memory: Quantity = "8Gi"


class ClusterSpec(Model):
    """Where FATE runs: a kind or minikube cluster the run creates, or an existing one."""

    provider: Literal["kind", "minikube", "existing"] = "kind"
    name: DnsLabel = "fate-e2e"
    node_image: str | None = None
    kubernetes_version: K8sVersion | None = None
    workers: int = Field(0, ge=0, le=3)
    reuse: bool = False
    keep: Literal["never", "on-failure", "always"] = "never"
    kubeconfig: str | None = None
    context: str | None = None
    minikube: MinikubeSpec | None = None
    timeout: Duration = 900.0

    @model_validator(mode="after")
    def _provider_fields(self) -> ClusterSpec:
        if self.minikube is not None and self.provider != "minikube":
            raise ValueError("'minikube' settings need provider: minikube")
        if self.provider == "existing" and (self.node_image or self.workers):
            raise ValueError("provider 'existing' cannot set nodeImage or workers")
        if self.provider != "existing" and self.kubeconfig:
            raise ValueError("'kubeconfig' is only for provider: existing")
        return self


# ---------------------------------------------------------------- fate


class ImageOverrides(Model):
    """Image references replacing the ones fate-e2e builds."""

    flow: str | None = None
    mariadb: str | None = None
    rabbitmq: str | None = None
    nginx: str | None = None
    zookeeper: str | None = None


class FateSpec(Model):
    """Which FATE, installed how."""

    version: FateVersion
    installer: Literal["native", "kubefate", "helm"] = "native"
    images: ImageOverrides = ImageOverrides()
    computing: Literal["standalone", "spark"] = "standalone"
    federation: Literal["rabbitmq"] = "rabbitmq"
    timeout: Duration = 900.0


# ---------------------------------------------------------------- parties


class Resources(Model):
    """Kubernetes requests/limits for one module's containers."""

    requests: dict[Literal["cpu", "memory"], Quantity] = {}
    limits: dict[Literal["cpu", "memory"], Quantity] = {}


class ModuleSpec(Model):
    """One FATE module of a party: replicas, resources, persistence."""

    replicas: int = Field(1, ge=0, le=10)
    resources: Resources = Resources()
    persistence: bool = True


class Modules(Model):
    """A party's modules; zookeeper and spark* are only deployed when listed."""

    flow: ModuleSpec = ModuleSpec()
    mariadb: ModuleSpec = ModuleSpec()
    rabbitmq: ModuleSpec = ModuleSpec()
    nginx: ModuleSpec = ModuleSpec()
    zookeeper: ModuleSpec | None = None
    spark_master: ModuleSpec | None = None
    spark_worker: ModuleSpec | None = None


class RouteOverride(Model):
    """Replace parts of a peer's live address in this party's config (negative tests)."""

    host: str | None = None
    nginx_port: int | None = Field(None, ge=1, le=65535)
    amqp_port: int | None = Field(None, ge=1, le=65535)


class PartySpec(Model):
    """One FATE party: its id, namespace and modules."""

    id: PartyId
    namespace: DnsLabel | None = None
    role: Literal["guest", "host", "arbiter"] | None = None
    version: FateVersion | None = None
    modules: Modules = Modules()
    route_overrides: dict[PartyId, RouteOverride] = {}

    @property
    def ns(self) -> str:
        """The party's namespace (default fate-<id>)."""
        return self.namespace or f"fate-{self.id}"


# ---------------------------------------------------------------- steps


class DeployStep(Model):
    """Install (or converge) the listed parties; all when omitted."""

    parties: list[PartyId] | None = None


class ToyStep(Model):
    """Run FATE's toy example from the guest's flow against the host."""

    guest: PartyId
    host: PartyId

    @model_validator(mode="after")
    def _distinct(self) -> ToyStep:
        if self.guest == self.host:
            raise ValueError("guest and host must be different parties")
        return self


class SteadyState(Model):
    """Probes run before, during (every ``interval``) and after a fault."""

    probes: list[ProbeName] = ["pods-ready", "flow-healthy", "broker-reachable", "toy"]
    interval: Duration = 10.0


class ChaosStep(Model):
    """Fields every fault-injecting step shares: probes, recovery, negative controls.

    ``blockRecovery`` makes the fault unable to heal (a negative control); then
    ``expectVerdict: Fail`` and ``expectProbe`` say which verdict and failing probe
    the step must end with.
    """

    block_recovery: bool = False
    steady_state: SteadyState = SteadyState()
    recovery_timeout: Duration = 600.0
    expect_verdict: Literal["Pass", "Fail", "Error"] = "Pass"
    expect_probe: ProbeName | None = None

    @model_validator(mode="after")
    def _control(self) -> ChaosStep:
        if self.expect_probe is not None and self.expect_verdict != "Fail":
            raise ValueError("expectProbe (the probe that must fail) needs expectVerdict: Fail")
        return self


class PodKillStep(ChaosStep):
    """Delete pods of a party's module (or matching a selector) and watch them heal.

    With ``blockRecovery`` the module is scaled to 0 right after the kill.
    """

    party: PartyId | None = None
    module: ModuleName | None = None
    selector: str | None = None
    count: int | Literal["all"] = 1
    grace: int | None = Field(None, ge=0)
    during: Literal["idle", "toy"] = "idle"
    toy: ToyStep | None = None

    @model_validator(mode="after")
    def _target(self) -> PodKillStep:
        if self.selector is None and (self.party is None or self.module is None):
            raise ValueError("podKill needs party and module, or a label selector")
        if isinstance(self.count, int) and self.count < 1:
            raise ValueError("count must be at least 1 (or 'all')")
        if self.during == "toy" and self.toy is None:
            raise ValueError("during: toy needs a 'toy' block with guest and host")
        return self


class ScaleStep(ChaosStep):
    """Change a module's replicas through the installer and verify the new members work.

    With ``blockRecovery`` (flow) the party's ZooKeeper is scaled to 0 first, so new
    instances cannot register.
    """

    party: PartyId
    module: Literal["flow", "sparkWorker"]
    replicas: int = Field(ge=0, le=10)
    kill_during_jobs: bool = False
    recovery_timeout: Duration = 900.0


class UpgradeStep(ChaosStep):
    """Roll one party to another FATE version in place; earlier jobs must stay queryable.

    With ``blockRecovery`` the upgraded flow is scaled to 0 right after the rollout.
    """

    party: PartyId
    to: FateVersion
    steady_state: SteadyState = SteadyState(probes=["pods-ready", "flow-healthy",
                                                    "broker-reachable"])
    recovery_timeout: Duration = 900.0


class WaitStep(Model):
    """Wait for a party (or all) to be ready, or for a fixed duration."""

    until: Literal["ready"] | None = None
    party: PartyId | None = None
    duration: Duration | None = None

    @model_validator(mode="after")
    def _one(self) -> WaitStep:
        if (self.until is None) == (self.duration is None):
            raise ValueError("wait needs exactly one of 'until' or 'duration'")
        return self


class ExecStep(Model):
    """Run a command in a party's module pod and check its exit code and output."""

    party: PartyId
    module: ModuleName
    command: list[str] = Field(min_length=1)
    expect_exit: int | Literal["nonzero"] = 0
    expect_output: str | None = None

    @field_validator("expect_output")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class AssertStep(Model):
    """Evaluate one probe and fail the scenario if it does not hold."""

    probe: ProbeName
    party: PartyId | None = None
    args: dict[str, Any] = {}


_KIND_ATTRS = {"podKill": "pod_kill", "assert": "assert_"}
_STEP_KEYS = {"name", "timeout", *STEP_KINDS, *_KIND_ATTRS.values()}


class Step(Model):
    """One step: exactly one kind key (deploy, toy, ...) plus common fields."""

    name: str | None = None
    timeout: Duration | None = None
    deploy: DeployStep | None = None
    toy: ToyStep | None = None
    pod_kill: PodKillStep | None = None
    scale: ScaleStep | None = None
    upgrade: UpgradeStep | None = None
    wait: WaitStep | None = None
    exec: ExecStep | None = None
    assert_: AssertStep | None = Field(None, alias="assert")

    @model_validator(mode="before")
    @classmethod
    def _exactly_one_kind(cls, data: Any, info: ValidationInfo) -> Any:
        """One kind key; ``deploy:`` with no value means ``deploy: {}``.

        From YAML (context ``{"yaml": True}``) every kind key present counts; from
        Python (e.g. a ``model_dump`` round trip) kind keys set to None are ignored.
        """
        if not isinstance(data, dict):
            return data
        from_yaml = bool(info.context and info.context.get("yaml"))
        spellings = STEP_KINDS if from_yaml else (*STEP_KINDS, *_KIND_ATTRS.values())
        kinds = [k for k in spellings if k in data and (from_yaml or data[k] is not None)]
        if len(kinds) == 1:
            if data[kinds[0]] is None:
                data = {**data, kinds[0]: {}}
            return data
        if not kinds and any(k not in _STEP_KEYS for k in data):
            return data  # the unknown key is the error (a misspelt kind): report that
        found = f"found {', '.join(kinds)}" if kinds else "found none"
        raise ValueError(f"a step needs exactly one of {', '.join(STEP_KINDS)} ({found})")

    @property
    def kind(self) -> str:
        """The step's kind key as written in YAML (e.g. 'podKill')."""
        for kind in STEP_KINDS:
            if self.args_for(kind) is not None:
                return kind
        raise AssertionError("validated step without a kind")

    def args_for(self, kind: str) -> Model | None:
        """The arguments block of ``kind`` (YAML spelling), None when the step is another kind."""
        attr = _KIND_ATTRS.get(kind, kind)
        value: Model | None = getattr(self, attr)
        return value

    @property
    def args(self) -> Model:
        """The kind-specific arguments block."""
        value = self.args_for(self.kind)
        assert value is not None
        return value

    @property
    def title(self) -> str:
        """The step's name, else its kind."""
        return self.name or self.kind


# ---------------------------------------------------------------- scenario


class Metadata(Model):
    """Name and description; extra pytest markers."""

    name: DnsLabel
    description: str | None = None
    markers: list[Literal["e2e", "chaos", "scale", "upgrade", "bug", "slow"]] = []


class Scenario(Model):
    """A whole scenario: cluster, FATE, parties, steps, catch/finally, expectations."""

    api_version: Literal["fate-e2e/v1"]
    kind: Literal["Scenario"]
    metadata: Metadata
    issue: str | None = None
    expect: Literal["pass", "fail"] = "pass"
    cluster: ClusterSpec = ClusterSpec()
    fate: FateSpec
    parties: list[PartySpec] = Field(min_length=1, max_length=8)
    steps: list[Step] = Field(min_length=1)
    catch: list[Step] = []
    finally_: list[Step] = Field([], alias="finally")

    def party(self, party_id: int) -> PartySpec:
        """The party with ``party_id`` (validated to exist)."""
        for party in self.parties:
            if party.id == party_id:
                return party
        raise KeyError(party_id)

    def version_of(self, party_id: int) -> str:
        """The FATE version a party starts on (its override, else fate.version)."""
        return self.party(party_id).version or self.fate.version

    @property
    def markers(self) -> list[str]:
        """pytest markers: e2e always, plus what the steps and metadata imply."""
        marks = {"e2e", *self.metadata.markers}
        kinds = {step.kind for step in self.steps}
        if "podKill" in kinds:
            marks.add("chaos")
        if "scale" in kinds:
            marks.add("scale")
        if "upgrade" in kinds:
            marks.add("upgrade")
        if self.issue:
            marks.add("bug")
        return sorted(marks)
