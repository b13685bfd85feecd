"""A deliberately broken route must give a product failure naming the unreachable party."""

from __future__ import annotations

import pytest

from fate_e2e.checks.flow_cli import FlowCli
from fate_e2e.checks.toy import require_toy
from fate_e2e.checks.toy_output import parse_toy_v2
from fate_e2e.errors import ProductFailure
from fate_e2e.fixtures import DeploymentFactory

pytestmark = pytest.mark.e2e


def test_guest_route_to_host_on_wrong_port(fate_deployment: DeploymentFactory) -> None:
    # Guest 10000's nginx sends host 9999's scheduling calls to port 1 of the node.
    ctx = fate_deployment(party_fields={
        9999: {"namespace": "broken-9999"},
        10000: {"namespace": "broken-10000", "routeOverrides": {9999: {"nginxPort": 1}}},
    })
    # FATE's own CLI on this broken federation: whatever its exit code, the output says the
    # toy did not succeed, and that is what fate-e2e judges (exit code recorded, not trusted).
    cli = FlowCli(ctx.kube, ctx.party(10000))
    raw = cli.shell('flow init --ip "$POD_IP" --port 9380 >/dev/null && '
                    "flow test toy -gid 10000 -hid 9999 -t 60", timeout=300)
    print(f"flow test toy exit code on a broken federation: {raw.returncode}")
    assert not parse_toy_v2(raw.output).success, raw.output
    with pytest.raises(ProductFailure) as failure:
        require_toy(ctx, guest=10000, host=9999, timeout=300)
    message = str(failure.value)
    assert message.startswith("[product]")
    assert "party 9999 unreachable from party 10000" in message
    assert "party 10000 unreachable" not in message  # the healthy direction is not blamed
    evidence = {p.name for p in (ctx.work_dir / "evidence").iterdir()}
    for party in (9999, 10000):
        assert any(name.startswith(f"party-{party}-flow-") and "server-log" in name
                   for name in evidence), f"no server log of party {party}: {evidence}"
