"""``planner serve``: the Chinese web workbench (排考工作台) on a local address."""
from __future__ import annotations

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(sub) -> None:
    p = sub.add_parser("serve", help="start the Chinese web workbench (排考工作台) in the browser")
    p.add_argument("--workspace", metavar="DIR", default="planner-workspace",
                   help="folder of scenarios, plan versions and published sets [default: planner-workspace]")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on [default: 127.0.0.1]")
    p.add_argument("--port", type=int, default=8765, help="port [default: 8765]")
    p.add_argument("--token", default=None,
                   help="access token every request must carry; required (generated when omitted) when "
                        "--host is not a loopback address")
    p.add_argument("--open", action="store_true", help="open the workbench in the default browser")
    p.set_defaults(func=run)


def run(args) -> int:
    import secrets
    import webbrowser

    import uvicorn

    from ..errors import PlannerError
    from ..web.app import create_app

    if not 0 < args.port < 65536:
        raise PlannerError(f"not a port number: {args.port}", field="port")
    _check_port(args.host, args.port)
    token = args.token
    if args.host not in LOOPBACK and not token:
        token = secrets.token_urlsafe(16)
        print(f"--host {args.host} is reachable from other machines: generated access token {token}")
    try:
        app = create_app(args.workspace, token=token, allowed_hosts=None if token else LOOPBACK)
        app.state.ws.claim()
    except OSError as exc:
        raise PlannerError(f"cannot use the workspace folder ({exc.strerror})", file=args.workspace) from None
    shown = "localhost" if args.host in ("0.0.0.0", "::") else args.host
    url = f"http://{shown}:{args.port}/" + (f"?token={token}" if token else "")
    print(f"排考工作台: {url}  (workspace {app.state.ws.root}; Ctrl-C stops)", flush=True)
    if args.open:
        webbrowser.open(url)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
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
