"""Redaction: the guard that keeps passwords out of logs and reports."""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Iterator

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fate_e2e.report.redact import (
    MASK,
    clear_secrets,
    redact,
    register_secret,
    registered_count,
)


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    clear_secrets()
    yield
    clear_secrets()


# Values that cannot occur by accident in the surrounding text of the cases below.
SECRET = "Zq7xK2mW9vT4"


def test_registered_secret_is_masked_everywhere() -> None:
    register_secret(SECRET)
    text = f"connect as fate with {SECRET}; log: auth {SECRET}!{SECRET}"
    out = redact(text)
    assert SECRET not in out
    assert out.count(MASK) == 3


def test_registered_secret_encodings_are_masked() -> None:
    register_secret("p@ss word/1")
    b64 = base64.b64encode(b"p@ss word/1").decode()
    out = redact(f"b64={b64} url=amqp-pw%40 p%40ss%20word%2F1 raw=p@ss word/1")
    assert b64 not in out and "p%40ss%20word%2F1" not in out and "p@ss word/1" not in out


def test_longer_secret_masked_whole_when_it_contains_a_shorter_one() -> None:
    register_secret("abcd1234")
    register_secret("abcd1234-extended")
    assert redact("x abcd1234-extended y") == f"x {MASK} y"


def test_tiny_and_empty_secrets_are_ignored() -> None:
    register_secret(None)
    register_secret("")
    register_secret("ab")
    assert registered_count() == 0
    assert redact("a b ab") == "a b ab"


def test_redaction_is_idempotent_and_mask_survives_short_secret() -> None:
    register_secret("red")
    once = redact("password: red and red")
    assert redact(once) == once
    assert "red" not in once.replace(MASK, "")


@pytest.mark.parametrize("text", [
    f"MYSQL_ROOT_PASSWORD={SECRET}",
    f"export RABBITMQ_DEFAULT_PASS={SECRET}; echo ok",
    f"DB_PW={SECRET}",
    f"--password={SECRET}",
    f"fate_flow --password {SECRET} --port 9380",
    f'MYSQL_PASSWORD="{SECRET}"',
    f"password: {SECRET}",
    f"  db_password: '{SECRET}'  # comment",
    f"- token: {SECRET}",
    f'{{"password": "{SECRET}", "user": "fate"}}',
    f"{{'api_key': '{SECRET}'}}",
    f"connecting with password: {SECRET} to mysql",
    f"Authorization: Bearer {SECRET}",
    f"curl -H 'Authorization: Basic {SECRET}' http://127.0.0.1",
    f'{{"Authorization": "Token {SECRET}"}}',
    f"header bearer {SECRET}",
    f"amqp://fate:{SECRET}@rabbitmq:5672/",
    f"mysqladmin -uroot -p{SECRET} ping",
    f"private_key: |\n  {SECRET}\n  {SECRET}\nnext: 1",
    f"-----BEGIN RSA PRIVATE KEY-----\n{SECRET}\n-----END RSA PRIVATE KEY-----",
    f"x-auth-token={SECRET}",
    f"secret: {SECRET}",
    f"client_secret = {SECRET}",
])
def test_patterns_mask_secret_values(text: str) -> None:
    out = redact(text)
    assert SECRET not in out, out
    assert MASK in out


def test_env_list_values_in_yaml_json_and_repr() -> None:
    manifest = (f"env:\n- name: MYSQL_PASSWORD\n  value: {SECRET}\n"
                "- name: MYSQL_USER\n  value: fate\n")
    out = redact(manifest)
    assert SECRET not in out and "value: fate" in out
    as_json = json.dumps([{"name": "RABBITMQ_PASS", "value": SECRET},
                          {"name": "PARTY_ID", "value": "9999"}], indent=2)
    out = redact(as_json)
    assert SECRET not in out and '"9999"' in out
    assert json.loads(out)[0]["value"] == MASK
    as_repr = f"{{'name': 'MYSQL_PASSWORD',\n 'value': '{SECRET}',\n 'value_from': None}}"
    assert SECRET not in redact(as_repr)


def test_kubernetes_secret_yaml_data_and_string_data() -> None:
    doc = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  party: '9999'\n"
        "---\n"
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ntype: Opaque\ndata:\n"
        f"  mysql: {base64.b64encode(SECRET.encode()).decode()}\n"
        f"  cert: |\n    {SECRET}A\n    {SECRET}B\n"
        f"stringData:\n  rabbit: {SECRET}\n"
        "---\n"
        f"kind: Secret\ndata: {{inline: {SECRET}}}\n"
    )
    out = redact(doc)
    assert SECRET not in out
    assert base64.b64encode(SECRET.encode()).decode() not in out
    docs = list(yaml.safe_load_all(out))
    assert docs[0]["data"] == {"party": "9999"}  # ConfigMaps stay readable
    assert docs[1]["data"]["mysql"] == MASK
    assert docs[1]["metadata"]["name"] == "creds"
    assert docs[1]["stringData"] == {"rabbit": MASK}
    assert docs[1]["type"] == "Opaque"


def test_kubernetes_secret_json_data() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
              "data": {"a": base64.b64encode(SECRET.encode()).decode(), "b": "c2Vjb25k"}}
    out = redact(json.dumps(secret, indent=2))
    parsed = json.loads(out)
    assert parsed["data"] == {"a": MASK, "b": MASK}
    assert parsed["metadata"]["name"] == "creds"


@pytest.mark.parametrize("text", [
    "secretName: fate-credentials",
    "secretKeyRef:\n  name: fate-credentials\n  key: mysql-password",
    "tokenFile: /var/run/secrets/token",
    "password: ${MYSQL_PASSWORD}",
    "token=$(cat /run/token)",
    "mysql -uroot -p$MYSQL_ROOT_PASSWORD",
    "password: {{ .Values.mysql.password }}",
    "PWD=/data/projects compass=north",
    "toy test job 202611281530 is success",
    "value: fate\nname: MYSQL_USER",
])
def test_references_and_harmless_text_stay_readable(text: str) -> None:
    assert redact(text) == text


def test_plain_text_unchanged() -> None:
    text = "party 9999 -> 10000: job 202611281530123456789 success in 21s\n" * 3
    assert redact(text) == text


_ALPHABET = string.ascii_letters + string.digits + "!%^*_+~"
_VALUES = st.text(_ALPHABET, min_size=8, max_size=40).filter(
    lambda v: any(c.isdigit() for c in v) and any(c.isalpha() for c in v))
_TEMPLATES = [
    "MYSQL_PASSWORD={v}",
    "password: {v}",
    '"token": "{v}"',
    "amqp://fate:{v}@rabbitmq:5672",
    "Authorization: Bearer {v}",
    "- name: DB_PASSWORD\n  value: {v}",
    "kind: Secret\ndata:\n  key: {v}",
]


@settings(max_examples=200, deadline=None)
@given(value=_VALUES, template=st.sampled_from(_TEMPLATES),
       before=st.text(" abcxyz\n", max_size=30), after=st.text(" abcxyz\n", max_size=30))
def test_pattern_masked_values_never_leak(value: str, template: str, before: str,
                                          after: str) -> None:
    text = before + "\n" + template.format(v=value) + "\n" + after
    assert value not in redact(text)


@settings(max_examples=200, deadline=None)
@given(secret=st.text(min_size=3, max_size=30).filter(
    lambda s: len(s.strip()) >= 3 and s.strip() not in MASK),
       noise=st.text(max_size=60))
def test_registered_values_never_leak(secret: str, noise: str) -> None:
    clear_secrets()
    register_secret(secret)
    text = noise + secret + noise[::-1] + secret.strip()
    assert secret.strip() not in redact(text)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_redact_is_total_and_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
