"""``planner serve``: the Chinese web workbench (排考工作台) on a local address."""
from __future__ import annotations

import os

from ..web.security import LOOPBACK, TOKEN_EXAMPLE_CHARS

WILDCARD = {"0.0.0.0", "::", ""}


def register(sub) -> None:
    p = sub.add_parser("serve", help="start the Chinese web workbench (排考工作台) in the browser")
    p.add_argument("--workspace", metavar="DIR", default="planner-workspace",
                   help="folder of scenarios, plan versions and published sets [default: planner-workspace]")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on [default: 127.0.0.1]")
    p.add_argument("--port", type=int, default=8765, help="port [default: 8765]")
    p.add_argument("--token", default=None,
                   help="the planner's access token; required (generated when omitted) when --host is not a "
                        f"loopback address, and then at least 128 bits (e.g. {TOKEN_EXAMPLE_CHARS} random letters and "
                        "digits)")
    p.add_argument("--open", action="store_true", help="open the workbench in the default browser")
    p.add_argument("--restore", action="store_true",
                   help="get the workspace's history back after its workspace.db was lost or damaged: the newest "
                        "backup, the later changes mirrored in changes.jsonl (current version, deletions, who did "
                        "what), plus every version folder in versions/ (the damaged file is kept aside); refused "
                        "while planner serve runs on the workspace, and does nothing on a sound database")
    p.set_defaults(func=run)


def addresses(host: str, port: int, token: str | None, sub_token: str | None) -> tuple[str, str]:
    """(the planner's address, the base of the links handed out) as other machines reach them: a wildcard
    host is shown as this machine's interface address, never as localhost."""
    from ..web.security import interface_address

    shown = interface_address() if host in WILDCARD else host
    if ":" in shown:
        shown = f"[{shown}]"
    base = f"http://{shown}:{port}/"
    return base + (f"?token={token}" if token else ""), base


def run(args) -> int:
    import webbrowser

    import uvicorn

    from ..errors import PlannerError
    from ..web.app import create_app
    from ..web.security import check_token, new_token

    if not 0 < args.port < 65536:
        raise PlannerError(f"not a port number: {args.port}", field="port")
    if args.restore:
        return _restore(args.workspace)
    token = args.token
    if token is not None:
        check_token(token, args.host)
    if args.host not in LOOPBACK and not token:
        token = new_token()
        print(f"--host {args.host} is reachable from other machines: generated access token {token}")
    url, base = addresses(args.host, args.port, token, None)
    try:
        # PLANNER_PDF=0 leaves the PDFs out of 发布 as it does for `planner publish` (a machine without LibreOffice)
        app = create_app(args.workspace, token=token, allowed_hosts=None if token else LOOPBACK,
                         public_url=base if args.host not in LOOPBACK else None,
                         documents=os.environ.get("PLANNER_PDF", "").strip() != "0")
        app.state.ws.claim()
    except OSError as exc:
        raise PlannerError(f"cannot use the workspace folder ({exc.strerror})", file=args.workspace) from None
    _check_port(args.host, args.port)  # after the workspace: a damaged one is named first
    print(f"排考工作台: {url}  (workspace {app.state.ws.root}; Ctrl-C stops)", flush=True)
    if app.state.bench.sub_token:
        print("日历订阅（只读，每个考点一个地址，只能打开本考点的日历）: 见工作台“发布”页的“各培训机构的日历订阅地址”",
              flush=True)
    if args.open:
        webbrowser.open(url if args.host not in WILDCARD else url.replace(base, f"http://127.0.0.1:{args.port}/"))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _restore(workspace: str) -> int:
    """The history back from the backup and the mirrors; ``restore`` refuses while a server holds the workspace,
    and changes nothing on a database that is locked, read-only or sound (it says so)."""
    from ..web.safekeeping import restore
    from ..web.workspace import Workspace

    ws = Workspace(workspace, verify=False)
    print(restore(ws))
    return 0


def _check_port(host: str, port: int) -> None:
    """One line instead of uvicorn's log when the address is taken or not ours."""
    import socket

    from ..errors import PlannerError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        raise PlannerError(f"cannot listen on {host}:{port} ({exc.strerror}); another program (or planner serve) "
                           "may use it: choose another --port", field="port") from None
