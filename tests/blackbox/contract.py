"""contract.py: every response a black-box test sees is checked against
openapi.yaml.

Importing this module registers `check_response` in harness.RESPONSE_CHECKS
(conftest.py imports it), so each response of Server.http is held to the
document:

* the request's path must match a path template of the document (the query
  is ignored); a path not in the document fails;
* the method must be an operation of that path, else the response must be
  the documented 405 (components.responses.MethodNotAllowed);
* the status code must be documented for the operation;
* the Content-Type must be one the response documents (or none when it
  documents no content), required headers must be there and headers with a
  schema must match it;
* JSON bodies are validated with jsonschema (Draft 2020-12, $ref resolved
  against the whole document); HEAD responses must have no body.

Fault injection: a `respond` fault with a status (POST /__mock/faults)
replaces a real response by a canned one the document cannot describe. The
checker follows the faults armed through checked sessions (it sees their
201 answers, DELETE /__mock/faults and /__mock/reset) and, while some are
armed on a server, re-reads GET /__mock/faults after each response. A
response equal to the canned answer of an armed fault that matches the
request (method, path prefix, API key) is accepted as injected; anything
else is checked against the document. Faults armed by other clients are
unknown to the checker, so arm them through server.http.
"""
import json
import os
import re
import threading
from urllib.parse import unquote, urlsplit

import jsonschema
import requests
import yaml

import harness

SPEC_PATH = os.path.join(os.path.dirname(__file__), '..', '..', 'openapi.yaml')
METHODS = ('get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace')


def load_spec(path=SPEC_PATH):
    with open(path, encoding='utf-8') as f:
        return yaml.safe_load(f)


SPEC = load_spec()


class ContractError(AssertionError):
    pass


# (path template, METHOD, status) of every documented response seen so far:
# test_contract.py uses it to show each documented response really happens.
OBSERVED = set()


def _template_regex(template):
    """'/a/{id}/b' -> regex matching one non-empty segment per parameter."""
    out, pos = '', 0
    for m in re.finditer(r'\{[^}/]+\}', template):
        out += re.escape(template[pos:m.start()]) + '[^/]+'
        pos = m.end()
    return re.compile('^' + out + re.escape(template[pos:]) + '$')


class Contract:
    def __init__(self, spec):
        self.spec = spec
        self.paths = [(_template_regex(t), t, item) for t, item in spec['paths'].items()]
        # Literal templates first, so '/a/b' beats '/a/{x}'.
        self.paths.sort(key=lambda p: p[1].count('{'))
        self.resolver = jsonschema.RefResolver.from_schema(spec)

    # -- lookup --
    def find_path(self, path):
        for rx, template, item in self.paths:
            if rx.match(path):
                return template, item
        return None, None

    def deref(self, obj):
        while isinstance(obj, dict) and '$ref' in obj and len(obj) == 1:
            _, obj = self.resolver.resolve(obj['$ref'])
        return obj

    def validate(self, instance, schema, where):
        v = jsonschema.Draft202012Validator(schema, resolver=self.resolver)
        errors = sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            msgs = []
            for e in errors[:5]:
                msgs.append('at %s: %s' % ('/'.join(map(str, e.absolute_path)) or '(root)',
                                           e.message[:400]))
            raise ContractError('%s does not match its schema:\n  %s\nbody: %s'
                                % (where, '\n  '.join(msgs), json.dumps(instance)[:600]))

    # -- the check --
    def check(self, resp):
        req = resp.request
        method = req.method.upper()
        path = urlsplit(req.url).path or '/'
        where = '%s %s -> %d' % (method, path, resp.status_code)
        template, item = self.find_path(path)
        if item is None:
            # The router's own answer to an unknown path is documented (see
            # info.description and components.responses.NotFound); any other
            # response to a path the document does not have is a failure.
            if resp.status_code == 404 and not self.unknown_path_is_router_404(resp):
                raise ContractError('%s: path not in openapi.yaml (and not the router\'s '
                                    '404 {"detail": "Not Found"})' % where)
            if resp.status_code != 404:
                raise ContractError('%s: path not in openapi.yaml' % where)
            return
        op = item.get(method.lower())
        if op is None:
            if resp.status_code == 404 and '{' in template and \
                    self.unknown_path_is_router_404(resp):
                return  # a parameter the router refuses: the path is unknown to it
            if resp.status_code != 405:
                raise ContractError('%s: %s is not an operation of %s'
                                    % (where, method, template))
            spec_resp = self.deref({'$ref': '#/components/responses/MethodNotAllowed'})
        else:
            responses = op.get('responses', {})
            spec_resp = responses.get(str(resp.status_code))
            if spec_resp is None:
                spec_resp = responses.get('%dXX' % (resp.status_code // 100))
            if spec_resp is None:
                spec_resp = responses.get('default')
            if spec_resp is None:
                raise ContractError('%s: status %d not documented for %s %s (documented: %s)'
                                    % (where, resp.status_code, method, template,
                                       ', '.join(sorted(responses))))
            spec_resp = self.deref(spec_resp)
        self.check_headers(resp, spec_resp, where)
        self.check_body(resp, method, spec_resp, where)
        if op is not None:
            OBSERVED.add((template, method, str(resp.status_code)))

    def unknown_path_is_router_404(self, resp):
        if resp.request.method.upper() == 'HEAD':
            return not resp.content
        if _essence(resp.headers.get('Content-Type', '')) != 'application/json':
            return False
        try:
            return json.loads(resp.content.decode('utf-8')) == {'detail': 'Not Found'}
        except (UnicodeDecodeError, ValueError):
            return False

    def check_headers(self, resp, spec_resp, where):
        for name, h in (spec_resp.get('headers') or {}).items():
            h = self.deref(h)
            value = resp.headers.get(name)
            if value is None:
                if h.get('required'):
                    raise ContractError('%s: required header %s missing' % (where, name))
                continue
            if 'schema' in h:
                self.validate(value, h['schema'], '%s header %s' % (where, name))

    def check_body(self, resp, method, spec_resp, where):
        content = spec_resp.get('content') or {}
        ctype = resp.headers.get('Content-Type')
        if method == 'HEAD':
            if resp.content:
                raise ContractError('%s: HEAD response has a body' % where)
            return
        if not content:
            if resp.content:
                raise ContractError('%s: documents no content but got %d bytes (%s)'
                                    % (where, len(resp.content), ctype))
            return
        if ctype is None:
            raise ContractError('%s: no Content-Type (documented: %s)'
                                % (where, ', '.join(content)))
        media = _media_match(ctype, content)
        if media is None:
            raise ContractError('%s: Content-Type %r not documented (documented: %s)'
                                % (where, ctype, ', '.join(content)))
        schema = (content[media] or {}).get('schema')
        if _essence(media) == 'application/json' or _essence(media).endswith('+json'):
            try:
                body = json.loads(resp.content.decode('utf-8'))
            except (UnicodeDecodeError, ValueError) as e:
                raise ContractError('%s: body is not JSON (%s): %r'
                                    % (where, e, resp.content[:200])) from None
            if schema is not None:
                self.validate(body, schema, where)
        elif schema is not None and schema.get('type') == 'string' and \
                schema.get('contentEncoding') != 'binary' and _is_text(media):
            try:
                text = resp.content.decode('utf-8')
            except UnicodeDecodeError:
                raise ContractError('%s: %s body is not UTF-8' % (where, media)) from None
            self.validate(text, schema, where)


def _essence(media):
    return media.split(';', 1)[0].strip().lower()


def _params(media):
    parts = [p.strip().lower().replace('"', '') for p in media.split(';')[1:]]
    return sorted(p.replace(' ', '') for p in parts if p)


def _media_match(ctype, content):
    """The documented media type key the response's Content-Type matches."""
    for key in content:  # exact, parameters included
        if _essence(key) == _essence(ctype) and _params(key) == _params(ctype):
            return key
    for key in content:  # a key without parameters accepts any
        if ';' not in key and _essence(key) == _essence(ctype):
            return key
    for key in content:  # media ranges: text/*, */*
        k = _essence(key)
        if k == '*/*' or (k.endswith('/*') and _essence(ctype).startswith(k[:-1])):
            return key
    return None


def _is_text(media):
    e = _essence(media)
    return e.startswith('text/') or 'charset=' in media.lower()


# ---- fault tracking ----

class FaultTracker:
    """Respond-faults armed on each server (keyed by origin), as far as the
    checked sessions have seen them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.faults = {}  # origin -> list of fault dicts (as GET /__mock/faults)

    @staticmethod
    def origin(url):
        u = urlsplit(url)
        return '%s://%s' % (u.scheme, u.netloc)

    def observe_control(self, resp, path, method):
        """Update from a /__mock response. Returns nothing."""
        o = self.origin(resp.request.url)
        ok = 200 <= resp.status_code < 300
        try:
            body = resp.json() if ok else None
        except ValueError:
            body = None
        with self.lock:
            cur = self.faults.setdefault(o, [])
            if path == '/__mock/faults' and method == 'POST' and resp.status_code == 201 \
                    and isinstance(body, dict):
                cur.append(body)
            elif path == '/__mock/faults' and method == 'GET' and isinstance(body, dict):
                self.faults[o] = list(body.get('faults') or [])
            elif path == '/__mock/faults' and method == 'DELETE' and ok:
                self.faults[o] = []
            elif path == '/__mock/reset' and method == 'POST' and isinstance(body, dict):
                key = body.get('api_key')
                if key is None:
                    self.faults[o] = []
                else:
                    self.faults[o] = [f for f in cur if _match_of(f).get('api_key') != key]
        if path == '/__mock/scenario' and method == 'PUT' and ok:
            self.refresh(resp.request.url)  # a scenario replaces the armed faults

    def armed(self, url):
        with self.lock:
            return list(self.faults.get(self.origin(url)) or [])

    def refresh(self, url):
        """Re-read the server's faults (a plain, unchecked request)."""
        o = self.origin(url)
        try:
            r = requests.get(o + '/__mock/faults', timeout=10)
            faults = r.json()['faults'] if r.status_code == 200 else None
        except (requests.RequestException, ValueError, KeyError):
            faults = None
        if faults is not None:  # else the server is gone: keep what we knew
            with self.lock:
                self.faults[o] = faults


def _match_of(f):
    m = f.get('match')
    return m if isinstance(m, dict) else {}


def _fault_matches(f, method, raw_path, key):
    """The server's matching (faults.c faults_take_http)."""
    if 'respond' not in f or not isinstance(f.get('respond'), dict):
        return False
    m = _match_of(f)
    fm = m.get('method')
    if isinstance(fm, str) and fm and fm[:7].upper() != method.upper():
        return False
    pp = m.get('path_prefix')
    if isinstance(pp, str) and not (unquote(raw_path).startswith(pp) or raw_path.startswith(pp)):
        return False
    ak = m.get('api_key')
    if isinstance(ak, str) and key != ak:
        return False
    return True


def _is_canned(f, resp):
    """True if resp is exactly the canned answer of fault f."""
    r = f['respond']
    st = r.get('status')
    if not isinstance(st, int) or isinstance(st, bool) or st != resp.status_code:
        return False
    if r.get('drop_connection') is True and r.get('drop_after_bytes') is None:
        return False
    if resp.request.method.upper() != 'HEAD':
        want = r['body'] if 'body' in r else {'detail': 'Injected fault'}
        try:
            got = json.loads(resp.content.decode('utf-8'))
        except (UnicodeDecodeError, ValueError):
            return False
        if got != want:
            return False
    if _essence(resp.headers.get('Content-Type', '')) != 'application/json' and \
            not any(k.lower() == 'content-type' for k in (r.get('headers') or {})):
        return False
    for k, v in (r.get('headers') or {}).items():
        if isinstance(v, str) and k.lower() != 'content-type' and resp.headers.get(k) is None:
            return False
    return True


CONTRACT = Contract(SPEC)
FAULTS = FaultTracker()


def check_response(resp):
    """The RESPONSE_CHECKS entry: raises AssertionError on a response that
    does not match openapi.yaml."""
    req = resp.request
    method = req.method.upper()
    raw_path = urlsplit(req.url).path or '/'
    if raw_path.startswith('/__mock/'):
        FAULTS.observe_control(resp, raw_path, method)
    elif raw_path != '/healthz':
        armed = FAULTS.armed(req.url)
        if armed:
            before = armed
            FAULTS.refresh(req.url)  # what is left after this request
            after = FAULTS.armed(req.url)
            key = req.headers.get('X-API-Key')
            for f in before + after:
                if _fault_matches(f, method, raw_path, key) and _is_canned(f, resp):
                    return  # an injected answer: outside the contract by design
    CONTRACT.check(resp)


if check_response not in harness.RESPONSE_CHECKS:
    harness.RESPONSE_CHECKS.append(check_response)
