"""Logging in and out, sessions, and turning a presented token (session or API key) into a Principal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit, passwords, tokens
from hezi.accounts.errors import InvalidCredentials, NotAuthenticated, WrongPassword
from hezi.accounts.principal import Caller, Principal, RateLimits
from hezi.accounts.throttle import LoginThrottle, ThrottlePolicy
from hezi.db.base import utcnow
from hezi.db.tables import ApiKey, Membership, Session, User
from hezi.settings import Settings

# last_used_at is written at most this often per key, so a busy key doesn't cost a write per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class KeyGrant:
    """What a valid API key resolves to, with what a cache needs to keep it honest (see key_cache)."""

    principal: Principal
    key_id: uuid.UUID
    user_id: uuid.UUID
    workspace_id: uuid.UUID
    app_id: uuid.UUID | None
    expires_at: datetime | None
    last_used_at: datetime


async def resolve_key(db: AsyncSession, token: str, now: datetime) -> KeyGrant:
    """Look an API key up: refused when unknown, revoked, expired, its owner disabled or (a user key) no longer a
    member of the key's workspace. Notes the use (at most once a minute) and ends the transaction."""
    row = (
        await db.execute(
            select(ApiKey, User, Membership.role)
            .join(User, User.id == ApiKey.user_id)
            .outerjoin(
                Membership, (Membership.workspace_id == ApiKey.workspace_id) & (Membership.user_id == ApiKey.user_id)
            )
            .where(ApiKey.key_hash == tokens.digest(token))
        )
    ).first()
    if row is None:
        raise NotAuthenticated("Invalid API key.")
    key, user, role = row
    if key.revoked_at is not None:
        raise NotAuthenticated("This API key has been revoked.")
    if key.expires_at is not None and key.expires_at <= now:
        raise NotAuthenticated("This API key has expired.")
    if not user.is_active:
        raise NotAuthenticated("The owner of this API key is disabled.")
    # A user key acts for its user in its workspace: it ends with the membership. An app key serves its app, which
    # its editors manage; it stays when the member who created it leaves.
    if role is None and key.kind != "app":
        raise NotAuthenticated("The owner of this API key is no longer a member of its workspace.")
    last_used = key.last_used_at
    if last_used is None or now - last_used > LAST_USED_RESOLUTION:
        await db.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        last_used = now
    # End the transaction: a request holds its connection only while it uses it, not for a whole stream.
    await db.commit()
    principal = Principal(
        user=user,
        via="app_key" if key.kind == "app" else "api_key",
        credential_id=key.id,
        key_workspace_id=key.workspace_id,
        scopes=frozenset(key.scopes),
        app_id=key.app_id,
        limits=RateLimits(rpm=key.rate_limit_rpm, tokens_per_day=key.token_limit_per_day),
    )
    return KeyGrant(principal, key.id, user.id, key.workspace_id, key.app_id, key.expires_at, last_used)


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: User


class AuthService:
    def __init__(self, db: AsyncSession, *, session_ttl: timedelta, throttle: ThrottlePolicy) -> None:
        self.db = db
        self.session_ttl = session_ttl
        self.throttle = LoginThrottle(db, throttle)

    @classmethod
    def from_settings(cls, db: AsyncSession, settings: Settings) -> AuthService:
        return cls(
            db,
            session_ttl=timedelta(hours=settings.session_ttl_hours),
            throttle=ThrottlePolicy(
                slow_after=settings.login_slow_after,
                max_failures=settings.login_max_failures,
                ip_max_failures=settings.login_ip_max_failures,
                lockout_seconds=settings.login_lockout_seconds,
                window_seconds=settings.login_failure_window_seconds,
                delay_seconds=settings.login_delay_seconds,
            ),
        )

    async def login(self, username: str, password: str, *, ip: str | None, user_agent: str | None) -> LoginResult:
        """Check the password (throttled) and open a session; failures are audited and counted."""
        name = username.strip().lower()
        await self.throttle.before_attempt(name, ip)
        user = await self.db.scalar(select(User).where(User.username == name))
        ok = passwords.verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active:
            locked = await self.throttle.record_failure(name, ip)
            reason = "inactive" if ok and user is not None else "bad_password"
            audit.record(self.db, "login.failed", actor=name[:64], ip=ip, details={"reason": reason})
            if locked:
                audit.record(self.db, "login.locked", actor=name[:64], ip=ip)
            await self.db.commit()
            raise InvalidCredentials("Wrong username or password.")
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        await self.throttle.record_success(name)
        token = tokens.new_session_token()
        expires_at = utcnow() + self.session_ttl
        self.db.add(
            Session(
                token_hash=tokens.digest(token),
                user_id=user.id,
                expires_at=expires_at,
                ip=ip,
                user_agent=(user_agent or "")[:256] or None,
            )
        )
        audit.record(self.db, "login.succeeded", actor=user.username, actor_user_id=user.id, ip=ip)
        await self.db.commit()
        return LoginResult(token=token, expires_at=expires_at, user=user)

    async def logout(self, caller: Caller) -> None:
        p = caller.principal
        if p.is_session:
            await self.db.execute(delete(Session).where(Session.id == p.credential_id))
            audit.record(self.db, "logout", actor=p.user.username, actor_user_id=p.user_id, ip=caller.ip)
            await self.db.commit()

    async def authenticate(self, token: str) -> Principal:
        """Resolve a bearer token or cookie value. Revoked keys and expired sessions fail at once."""
        if token.startswith(tokens.API_KEY_PREFIX):
            return await self._authenticate_key(token)
        if token.startswith(tokens.SESSION_PREFIX):
            return await self._authenticate_session(token)
        raise NotAuthenticated("Invalid credentials.")

    async def _authenticate_session(self, token: str) -> Principal:
        now = utcnow()
        row = (
            await self.db.execute(
                select(Session, User)
                .join(User, User.id == Session.user_id)
                .where(Session.token_hash == tokens.digest(token))
            )
        ).first()
        if row is None:
            raise NotAuthenticated("Your session has ended. Please sign in again.")
        session, user = row
        if session.expires_at <= now or not user.is_active:
            raise NotAuthenticated("Your session has ended. Please sign in again.")
        await self.db.commit()  # as for keys: release the connection until the request needs it again
        return Principal(user=user, via="session", credential_id=session.id)

    async def _authenticate_key(self, token: str) -> Principal:
        return (await resolve_key(self.db, token, utcnow())).principal

    async def change_password(self, caller: Caller, current: str, new: str) -> None:
        """Change one's own password; every other session of the user is signed out."""
        user = caller.principal.user
        if not passwords.verify_password(user.password_hash, current):
            raise WrongPassword("The current password is wrong.")
        passwords.check_policy(new, username=user.username)
        await self.set_password(user.id, new, keep_session=caller.principal.credential_id)
        audit.record(self.db, "password.changed", actor=user.username, actor_user_id=user.id, ip=caller.ip)
        await self.db.commit()

    async def set_password(self, user_id: uuid.UUID, new: str, *, keep_session: uuid.UUID | None = None) -> None:
        """Store a new hash and end the user's sessions (but `keep_session`). The caller commits."""
        await self.db.execute(
            update(User)
            .where(User.id == user_id)
            .values(password_hash=passwords.hash_password(new), password_changed_at=utcnow())
        )
        ends = delete(Session).where(Session.user_id == user_id)
        if keep_session is not None:
            ends = ends.where(Session.id != keep_session)
        await self.db.execute(ends)

    async def purge_expired_sessions(self) -> int:
        result = await self.db.execute(delete(Session).where(Session.expires_at <= utcnow()))
        await self.db.commit()
        return int(getattr(result, "rowcount", 0) or 0)
