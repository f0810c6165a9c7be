"""`ouen users add|list|disable|enable|reset-password|set-role|sessions|revoke-session` and `ouen tokens
create|list|revoke`: accounts, web sessions and API tokens; secrets shown once. The operator at the
server's console acts as the secretariat would (coordinator/auth/accounts.py), and every change is audited."""

from __future__ import annotations

import typer
from sqlmodel import Session

from coordinator.auth import accounts
from coordinator.auth.credentials import new_password
from coordinator.auth.models import ROLES
from coordinator.auth.service import create_token, create_user, get_user_by_login, list_tokens, list_users, revoke_token
from coordinator.cli import app
from coordinator.cli.db import fail_with, open_migrated_database
from coordinator.errors import DomainError

users_app = typer.Typer(help="利用者 / user accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="APIトークン / API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


@users_app.command("add")
def add_user(
    login: str = typer.Argument(..., help="ログイン名（メールアドレスまたはハンドル）/ login (e-mail or handle)"),
    role: str = typer.Option(..., "--role", help=f"役割 / role: {', '.join(ROLES)}"),
    association: str | None = typer.Option(None, "--association", help="所属協会ID / association id"),
    name: str | None = typer.Option(None, "--name", help="表示名 / display name (default: the login)"),
    prompt_password: bool = typer.Option(False, "--prompt-password",
                                         help="パスワードを入力する（既定は自動生成）/ type it instead of generating"),
) -> None:
    """Create a user; prints a generated password once (or asks for one with --prompt-password)."""
    password = (typer.prompt("パスワード / password", hide_input=True, confirmation_prompt=True)
                if prompt_password else new_password())
    engine = open_migrated_database()
    try:
        with Session(engine, expire_on_commit=False) as session:
            user = create_user(session, login=login, display_name=name or login, role=role,
                               association_id=association, password=password)
    except DomainError as error:
        fail_with(error)
    finally:
        engine.dispose()
    typer.echo(f"利用者を作成しました / created user {user.login} (id {user.id}, {user.role}, "
               f"{user.association_id or '-'})")
    if not prompt_password:
        typer.echo(f"パスワード（この一度だけ表示）/ password (shown only now): {password}")


@users_app.command("list")
def show_users() -> None:
    """List users: id, login, role, association, active."""
    engine = open_migrated_database()
    try:
        with Session(engine, expire_on_commit=False) as session:
            users = list_users(session)
    finally:
        engine.dispose()
    typer.echo("id\tlogin\trole\tassociation\tactive\tname")
    for user in users:
        typer.echo(f"{user.id}\t{user.login}\t{user.role}\t{user.association_id or '-'}\t"
                   f"{'yes' if user.is_active else 'no'}\t{user.display_name}")


@tokens_app.command("create")
def create(
    login: str = typer.Argument(..., help="トークンの持ち主 / the user's login"),
    name: str = typer.Option(..., "--name", help="用途がわかる名前 / a name saying what it is for"),
) -> None:
    """Create an API token for a user; prints its secret once."""
    engine = open_migrated_database()
    try:
        with Session(engine, expire_on_commit=False) as session:
            user = get_user_by_login(session, login)
            token, secret = create_token(session, user_id=user.id or 0, name=name)
    except DomainError as error:
        fail_with(error)
    finally:
        engine.dispose()
    typer.echo(f"トークンを作成しました / created token id {token.id} ({token.name}) for {user.login}")
    typer.echo(f"シークレット（この一度だけ表示）/ secret (shown only now): {secret}")
    typer.echo("使い方 / use: Authorization: Bearer <secret>")


@tokens_app.command("list")
def show_tokens(login: str | None = typer.Option(None, "--login", help="この利用者のみ / only this user's")) -> None:
    """List tokens (never their secrets): id, user, name, prefix, created, last used, revoked."""
    engine = open_migrated_database()
    try:
        with Session(engine, expire_on_commit=False) as session:
            user_id = get_user_by_login(session, login).id if login else None
            tokens = list_tokens(session, user_id=user_id)
    except DomainError as error:
        fail_with(error)
    finally:
        engine.dispose()
    typer.echo("id\tuser_id\tname\tprefix\tcreated_at\tlast_used_at\trevoked_at")
    for token in tokens:
        typer.echo(f"{token.id}\t{token.user_id}\t{token.name}\t{token.prefix}…\t{token.created_at:%Y-%m-%d %H:%M}\t"
                   f"{token.last_used_at or '-'}\t{token.revoked_at or '-'}")


@tokens_app.command("revoke")
def revoke(token_id: int = typer.Argument(..., help="トークンID / token id")) -> None:
    """Revoke an API token; it stops working at once."""
    engine = open_migrated_database()
    try:
        with Session(engine, expire_on_commit=False) as session:
            token = revoke_token(session, token_id=token_id)
    except DomainError as error:
        fail_with(error)
    finally:
        engine.dispose()
    typer.echo(f"トークン {token.id} を失効させました / revoked token {token.id} ({token.name})")


def _change(action: str, login: str, **values: object) -> tuple[object, object]:
    """Run one account change on the user with this login; prints the error and exits on failure."""
    engine = open_migrated_database()
    try:
        with Session(engine, expire_on_commit=False) as session:
            user = get_user_by_login(session, login)
            result = getattr(accounts, action)(session, user_id=user.id or 0, actor=None, **values)
    except DomainError as error:
        fail_with(error)
    finally:
        engine.dispose()
    return user, result


@users_app.command("disable")
def disable(login: str = typer.Argument(..., help="ログイン名 / login")) -> None:
    """Disable an account: no sign-in, no API tokens; its web sessions are revoked and live sockets closed."""
    _change("set_active", login, active=False)
    typer.echo(f"{login} を無効にしました / disabled {login}")


@users_app.command("enable")
def enable(login: str = typer.Argument(..., help="ログイン名 / login")) -> None:
    """Enable a disabled account again."""
    _change("set_active", login, active=True)
    typer.echo(f"{login} を有効にしました / enabled {login}")


@users_app.command("reset-password")
def reset_password(login: str = typer.Argument(..., help="ログイン名 / login")) -> None:
    """Give the account a new generated password (printed once); its web sessions are revoked."""
    _, result = _change("reset_password", login)
    _, password = result  # type: ignore[misc]
    typer.echo(f"{login} のパスワードを再設定しました / reset the password of {login}")
    typer.echo(f"新しいパスワード（この一度だけ表示）/ new password (shown only now): {password}")


@users_app.command("set-role")
def set_role(
    login: str = typer.Argument(..., help="ログイン名 / login"),
    role: str = typer.Option(..., "--role", help=f"役割 / role: {', '.join(ROLES)}"),
    association: str | None = typer.Option(None, "--association",
                                           help="所属協会ID（職員のみ）/ association id (staff)"),
) -> None:
    """Change an account's role (and association); its live sockets reconnect with the new rights."""
    _change("set_role", login, role=role, association_id=association)
    typer.echo(f"{login} の役割を {role} にしました / {login} is now {role}")


@users_app.command("sessions")
def sessions(login: str | None = typer.Option(None, "--login", help="この利用者のみ / only this user's")) -> None:
    """List open web sessions (never their cookies): id, user, opened, last seen, expires, address, browser."""
    engine = open_migrated_database()
    try:
        with Session(engine, expire_on_commit=False) as session:
            user_id = get_user_by_login(session, login).id if login else None
            rows = accounts.list_sessions(session, user_id=user_id)
    except DomainError as error:
        fail_with(error)
    finally:
        engine.dispose()
    typer.echo("id\tuser_id\tcreated_at\tlast_seen_at\texpires_at\tclient_ip\tuser_agent")
    for row in rows:
        typer.echo(f"{row.id}\t{row.user_id}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.last_seen_at or '-'}\t"
                   f"{row.expires_at:%Y-%m-%d %H:%M}\t{row.client_ip or '-'}\t{(row.user_agent or '-')[:60]}")


@users_app.command("revoke-session")
def revoke_session(
    session_id: str = typer.Argument(..., help="セッションID / session id (ouen users sessions)"),
) -> None:
    """Sign one web session out; its live sockets close."""
    engine = open_migrated_database()
    try:
        with Session(engine, expire_on_commit=False) as session:
            accounts.revoke_session(session, session_id=session_id, actor=None)
    except DomainError as error:
        fail_with(error)
    finally:
        engine.dispose()
    typer.echo(f"セッション {session_id[:12]}… を失効させました / revoked session {session_id[:12]}…")
