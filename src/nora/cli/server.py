"""The server-side subcommands: ``nora init``, ``nora demo`` and ``nora serve``.

``serve`` builds the app with the application factory named by a string (imported at run time, so the CLI
never imports the web layer: ``nora.api`` and ``nora.cli`` are independent), passing it the Settings the
command was started with: one build of the configuration per process. Uvicorn then serves that app.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy import make_url

from nora.annotation.demo import add_demo_annotations
from nora.archive.services import setup
from nora.archive.services.cliops import is_initialised
from nora.archive.services.setup import InitResult
from nora.cli.context import Context, NoraParser, common_options, note, resolve_actor, write
from nora.core.settings import Settings
from nora.reading.demo import add_demo_reading

APP_FACTORY = "nora.api.server:app_factory"


def _initialise(ctx: Context, admin: str = "admin", password: str | None = None) -> InitResult:
    with ctx.sessions() as session:
        result = setup.init_database(ctx.engine, ctx.layout, session, admin, password)
        session.commit()
    return result


def _report_init(ctx: Context, result: InitResult) -> None:
    url = make_url(ctx.settings.effective_database_url).render_as_string(hide_password=True)
    write(f"data root: {ctx.layout.home}\ndatabase:  {url}")
    if result.password is not None:
        write(f"created system admin {result.admin!r} with password: {result.password}")
        note("the password is shown only now; change it with 'nora --admin passwd USER'")
    else:
        note("the database already has users; no admin was created")


def run_init(argv: list[str], settings: Settings) -> int:
    parser = NoraParser(
        prog="nora init",
        description="Create the data root and database (or bring its schema up to date) and a first system admin.",
        parents=[common_options()],
    )
    parser.add_argument("--admin", default="admin", metavar="NAME", help="name of the first admin (default: admin)")
    args = parser.parse_args(argv)
    with Context.open(settings) as ctx:
        _report_init(ctx, _initialise(ctx, args.admin))
    return 0


def run_demo(argv: list[str], settings: Settings) -> int:
    parser = NoraParser(
        prog="nora demo",
        description=f"Create (or refill) the {setup.DEMO} project from sample images of installed packages.",
        parents=[common_options()],
    )
    args = parser.parse_args(argv)
    with Context.open(settings) as ctx:
        if not is_initialised(ctx.engine):
            _report_init(ctx, _initialise(ctx))
        with ctx.sessions() as session:
            owner = resolve_actor(session, settings, args.user)
            project = setup.build_demo(session, ctx.layout, owner, _progress(len(setup.DEMO_STUDIES)))
            add_demo_annotations(session, ctx.layout, owner, project.name)
            add_demo_reading(session, owner, project.name)
            session.commit()
            write(f"project {project.name} ready in {ctx.layout.project_dir(project.name)}")
    return 0


def _progress(total: int) -> Callable[[str], None]:
    """A tqdm bar on a terminal, one line per step otherwise (logs, pipes)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, desc="demo", unit="study", file=sys.stderr)

        def advance(message: str) -> None:
            bar.set_postfix_str(message)
            bar.update(1)
            if bar.n >= total:
                bar.close()

        return advance
    done = [0]

    def line(message: str) -> None:
        done[0] += 1
        note(f"demo [{done[0]}/{total}] {message}")

    return line


def run_serve(argv: list[str], settings: Settings) -> int:
    parser = NoraParser(
        prog="nora serve",
        description="Run the web server (REST API under /api, the web desktop at /); initialises first if needed.",
        parents=[common_options()],
    )
    parser.add_argument("--host", default=settings.host, help=f"interface to listen on (default {settings.host})")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    args = parser.parse_args(argv)
    with Context.open(settings) as ctx:
        if not is_initialised(ctx.engine):
            _report_init(ctx, _initialise(ctx))
    import uvicorn

    app = serve_app(settings)
    write(f"nora serving on http://{args.host}:{args.port}/ (API docs: http://{args.host}:{args.port}/api/docs)")
    # proxy headers are read by the app itself (nora.api.security), trusting settings.trusted_proxies only
    uvicorn.run(app, host=args.host, port=args.port, proxy_headers=False)
    return 0


def serve_app(settings: Settings) -> Any:
    """The ASGI app of ``nora serve``: :data:`APP_FACTORY` called with these Settings (never rebuilt there)."""
    from uvicorn.importer import import_from_string

    return import_from_string(APP_FACTORY)(settings)
