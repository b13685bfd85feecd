"""The `flow` CLI and the flow HTTP API, run inside a party's flow pod."""

from __future__ import annotations

import json
import shlex

from fate_e2e.install.native.names import FLOW_HTTP_PORT, NGINX_HTTP_PORT, module_pod
from fate_e2e.kube import ExecResult, Kube
from fate_e2e.scenario.schema import PartySpec

# The flow CLI keeps its target in a config file; point it at this pod's server first.
_INIT = f'flow init --ip "${{POD_IP:-127.0.0.1}}" --port {FLOW_HTTP_PORT} >/dev/null && '


class FlowCli:
    """Runs `flow ...` commands in one party's (first ready) flow pod."""

    def __init__(self, kube: Kube, party: PartySpec, pod: str | None = None) -> None:
        self.kube = kube
        self.party = party
        self.pod = pod or module_pod(kube, party, "flow")

    def shell(self, script: str, *, timeout: float = 120.0) -> ExecResult:
        return self.kube.exec(self.party.ns, self.pod, ["sh", "-c", script], container="flow",
                              timeout=timeout)

    def flow(self, args: str, *, timeout: float = 120.0) -> str:
        """Output (stdout+stderr) of `flow <args>`; its exit code is not a verdict."""
        return self.shell(_INIT + "flow " + args, timeout=timeout).output

    def toy(self, guest: int, host: int, *, timeout: float) -> str:
        cli_timeout = max(60, int(timeout) - 30)
        return self.flow(f"test toy -gid {guest} -hid {host} -t {cli_timeout}",
                         timeout=timeout)

    def job_query(self, job_id: str) -> str:
        return self.flow(f"job query -j {shlex.quote(job_id)}")

    def site_via_nginx(self, dest_party: int, *, timeout: float = 15.0) -> tuple[bool, str]:
        """Ask this party's nginx to route to ``dest_party``; True when that party answers."""
        url = f"http://nginx.{self.party.ns}.svc:{NGINX_HTTP_PORT}/v2/site/info/query"
        script = (
            "import json,sys,urllib.request\n"
            f"r=urllib.request.Request({url!r},headers={{'dest-party-id':'{dest_party}'}})\n"
            "try:\n"
            f"  body=urllib.request.urlopen(r,timeout={timeout}).read().decode()\n"
            "except Exception as e:\n"
            "  print(json.dumps({'error':repr(e)}));sys.exit(0)\n"
            "print(body)\n")
        out = self.shell(f"python3 -c {shlex.quote(script)}", timeout=timeout + 30).stdout
        try:
            data = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return False, f"unparseable answer: {out[-200:]}"
        if "error" in data:
            return False, str(data["error"])
        answered = str((data.get("data") or {}).get("party_id", ""))
        if answered != str(dest_party):
            return False, f"answered by party {answered or '?'} instead of {dest_party}"
        return True, "ok"

    def tcp_reachable(self, host: str, port: int, *, timeout: float = 5.0) -> tuple[bool, str]:
        """Whether this pod can open a TCP connection to host:port."""
        script = ("import socket,sys\n"
                  f"s=socket.socket();s.settimeout({timeout})\n"
                  f"try:\n  s.connect(({host!r},{port}));print('ok')\n"
                  "except Exception as e:\n  print(repr(e))\n")
        out = self.shell(f"python3 -c {shlex.quote(script)}", timeout=timeout + 30).stdout
        text = out.strip() or "no answer"
        return text == "ok", text
