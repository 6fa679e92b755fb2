"""Rate limits per key: requests per minute (sliding) and tokens per day, held in PostgreSQL across servers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.accounts import rate_limit
from hezi.accounts.errors import RateLimited
from hezi.accounts.principal import RateLimits
from hezi.accounts.rate_limit import RateLimiter
from hezi.db import migrate
from hezi.db.session import make_engine, make_sessionmaker
from hezi.db.tables import RateCounter
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique

T0 = datetime(2031, 3, 14, 12, 0, 30, tzinfo=UTC)  # half-way through a minute


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def subject() -> str:
    return rate_limit.key_subject(uuid.uuid4())


# ---- the arithmetic, without a database ------------------------------------------------------------------------


def test_windows_and_the_weight_carried_from_the_previous_minute() -> None:
    assert rate_limit.minute_start(T0) == datetime(2031, 3, 14, 12, 0, tzinfo=UTC)
    assert rate_limit.day_start(T0) == datetime(2031, 3, 14, tzinfo=UTC)
    assert rate_limit.carried_weight(T0) == pytest.approx(0.5)
    assert rate_limit.carried_weight(T0.replace(second=0)) == pytest.approx(1.0)
    assert rate_limit.carried_weight(T0.replace(second=45)) == pytest.approx(0.25)


def test_retry_after_is_when_the_estimate_drops_under_the_limit() -> None:
    ten_in = T0.replace(second=10)
    # The previous minute is full (4 of 4): 3 may come once a quarter of it has slid out, at 15 s.
    assert rate_limit.rpm_retry_after(previous=4, current=0, limit=4, now=ten_in) == pytest.approx(5.0)
    # This minute is full: in the next one, 3 of 3 carried must slide down to 2, a third of a minute in.
    assert rate_limit.rpm_retry_after(previous=0, current=3, limit=3, now=T0) == pytest.approx(30 + 20)
    # A limit of one: the next minute, once all of this one has slid out.
    assert rate_limit.rpm_retry_after(previous=0, current=1, limit=1, now=T0) == pytest.approx(30 + 60)
    assert rate_limit.retry_seconds(0.2) == 1 and rate_limit.retry_seconds(4.01) == 5


# ---- the counters in PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def counters_db(new_database: Callable[[], str]) -> str:
    """A database of these tests' own: they move the clock and purge, which no server should see."""
    url = new_database()
    migrate.upgrade(url)
    return url


@pytest_asyncio.fixture
async def sessions(counters_db: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(counters_db, pool_size=10)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def limiter(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> RateLimiter:
    return RateLimiter(sessions, clock=clock)


async def admitted(limiter: RateLimiter, who: str, limits: RateLimits) -> bool:
    try:
        await limiter.admit(who, limits)
    except RateLimited:
        return False
    return True


@pytest.mark.asyncio
async def test_requests_per_minute_slide_and_refusals_are_not_counted(limiter: RateLimiter, clock: Clock) -> None:
    who, limits = subject(), RateLimits(rpm=3)

    assert [await admitted(limiter, who, limits) for _ in range(3)] == [True, True, True]
    with pytest.raises(RateLimited) as refused:
        await limiter.admit(who, limits)
    assert refused.value.retry_after == 50 and refused.value.details["limit"] == "requests_per_minute"
    for _ in range(5):  # hammering while refused does not push the next chance further away
        assert not await admitted(limiter, who, limits)

    # A new minute does not reset the count (a fixed window would admit 3 more at once): 3 × 0.7 + 1 > 3.
    clock.now = T0 + timedelta(seconds=48)
    assert not await admitted(limiter, who, limits)
    clock.now = T0 + timedelta(seconds=50)  # exactly when Retry-After said
    assert await admitted(limiter, who, limits)
    assert not await admitted(limiter, who, limits)

    # After a quiet minute the whole limit is there again.
    clock.now = T0 + timedelta(minutes=3)
    assert [await admitted(limiter, who, limits) for _ in range(4)] == [True, True, True, False]


@pytest.mark.asyncio
async def test_concurrent_requests_never_pass_the_limit(limiter: RateLimiter) -> None:
    who, limits = subject(), RateLimits(rpm=7)
    results = await asyncio.gather(*(admitted(limiter, who, limits) for _ in range(18)))
    assert results.count(True) == 7


@pytest.mark.asyncio
async def test_tokens_per_day_are_charged_after_and_renew_at_midnight(limiter: RateLimiter, clock: Clock) -> None:
    who, limits = subject(), RateLimits(tokens_per_day=100)

    await limiter.admit(who, limits)
    await limiter.charge(who, limits, 60)
    await limiter.admit(who, limits)  # 60 of 100 used: a request may start
    await limiter.charge(who, limits, 50)  # the request that crosses the quota finishes…
    with pytest.raises(RateLimited) as refused:  # …and the next one is refused until midnight UTC
        await limiter.admit(who, limits)
    until_midnight = (rate_limit.day_start(T0) + timedelta(days=1) - T0).total_seconds()
    assert refused.value.retry_after == until_midnight
    assert refused.value.details["limit"] == "tokens_per_day"

    clock.now = rate_limit.day_start(T0) + timedelta(days=1)
    await limiter.admit(who, limits)


@pytest.mark.asyncio
async def test_a_batch_of_usage_is_charged_per_subject(
    sessions: async_sessionmaker[AsyncSession], limiter: RateLimiter
) -> None:
    key, app = subject(), rate_limit.app_subject(uuid.uuid4())
    async with sessions() as db:
        await rate_limit.charge_usage(db, {key: 70, app: 30}, T0)
        await rate_limit.charge_usage(db, {key: 40}, T0)
        await db.commit()
    await limiter.admit(app, RateLimits(tokens_per_day=31))
    with pytest.raises(RateLimited):
        await limiter.admit(key, RateLimits(tokens_per_day=110))


@pytest.mark.asyncio
async def test_both_limits_and_what_is_kept(sessions: async_sessionmaker[AsyncSession], limiter: RateLimiter) -> None:
    who, both = subject(), RateLimits(rpm=5, tokens_per_day=10)
    await limiter.admit(who, both)
    await limiter.charge(who, both, 10)
    # Out of tokens: refused for the day, and the refusal is not counted as a request.
    with pytest.raises(RateLimited) as refused:
        await limiter.admit(who, both)
    assert refused.value.details["limit"] == "tokens_per_day"

    unlimited = subject()
    await limiter.admit(unlimited, RateLimits())
    await limiter.charge(unlimited, RateLimits(), 10_000)
    async with sessions() as db:
        rows = {
            s: c
            for s, c in (
                await db.execute(
                    select(RateCounter.subject, RateCounter.count).where(
                        RateCounter.subject.in_([f"{who}:rpm", f"{who}:tpd", f"{unlimited}:rpm", f"{unlimited}:tpd"])
                    )
                )
            ).all()
        }
    assert rows == {f"{who}:rpm": 1, f"{who}:tpd": 10}  # nothing kept for a subject without limits

    # Counters older than any limit looks at are purged.
    async with sessions() as db:
        assert await rate_limit.purge(db, now=T0 + timedelta(days=3)) >= 2
        await db.commit()
        left = await db.scalar(
            select(func.count()).select_from(RateCounter).where(RateCounter.subject.like(f"{who}:%"))
        )
    assert left == 0


# ---- over HTTP: keys carry their limits, the APIs answer 429 with Retry-After ----------------------------------


def test_limits_are_set_when_a_key_is_created(admin: Api) -> None:
    ws = admin.default_workspace()
    created = admin.create_key(ws, rate_limit_rpm=30, token_limit_per_day=50_000)
    assert (created["rate_limit_rpm"], created["token_limit_per_day"]) == (30, 50_000)
    assert created["kind"] == "user" and created["app_id"] is None
    listed = next(k for k in admin.get(f"/api/workspaces/{ws}/api-keys").json()["data"] if k["id"] == created["id"])
    assert listed["rate_limit_rpm"] == 30
    assert_error(admin.post(f"/api/workspaces/{ws}/api-keys", json={"name": "x", "rate_limit_rpm": 0}), 422)
    bad = admin.post(f"/api/workspaces/{ws}/api-keys", json={"name": "x", "token_limit_per_day": -5})
    assert_error(bad, 422)


def test_the_openai_api_answers_429_with_retry_after(live_server: LiveServer, admin: Api) -> None:
    key = admin.create_key(admin.default_workspace(), scopes=["api"], rate_limit_rpm=2)["key"]
    headers = {"Authorization": f"Bearer {key}"}
    codes = [httpx.get(f"{live_server.url}/v1/models", headers=headers, timeout=30) for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    refused = codes[2]
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert refused.json()["error"]["code"] == "rate_limited"


def test_cli_sets_limits(live_server: LiveServer) -> None:
    env = {**os.environ, "HEZI_DATABASE_URL": live_server.database_url, "HEZI_LOG_LEVEL": "WARNING"}
    args = ["admin", "create-api-key", "--user", live_server.admin_username, "--name", unique("cli")]
    made = subprocess.run(
        [sys.executable, "-m", "hezi", *args, "--rpm", "12", "--tokens-per-day", "3400"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    admin = Api(live_server.url).login(live_server.admin_username, live_server.admin_password)
    ws = admin.default_workspace()
    row = next(k for k in admin.get(f"/api/workspaces/{ws}/api-keys").json()["data"] if secret.startswith(k["prefix"]))
    assert (row["rate_limit_rpm"], row["token_limit_per_day"]) == (12, 3400)
    refused = subprocess.run(
        [sys.executable, "-m", "hezi", *args, "--rpm", "0"], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0 and "--rpm" in refused.stderr


# ---- two server processes, one database ------------------------------------------------------------------------


def test_a_limit_holds_across_two_server_processes(first: LiveServer, second: str) -> None:
    n = 10
    admin = first.admin()
    key = admin.create_key(admin.default_workspace(), scopes=["datasets", "api"], rate_limit_rpm=n - 2)["key"]
    headers = {"Authorization": f"Bearer {key}"}
    servers = [first.url, second]
    # The key is new, so nothing is carried from an earlier minute: the first n-2 pass wherever they land.
    answers = [httpx.get(f"{servers[i % 2]}/v1/datasets", headers=headers, timeout=30) for i in range(n)]
    assert [r.status_code for r in answers] == [200] * (n - 2) + [429] * 2, [r.text for r in answers]
    for refused in answers[-2:]:
        retry_after = int(refused.headers["Retry-After"])
        # This minute is full: the next chance comes an eighth of the way into the next one, at most 67.5 s off.
        assert 1 <= retry_after <= 68
        assert refused.json()["status"] == 429  # in the Dify API's own error shape
    # One counter per key, whichever API: the OpenAI API on the second server refuses the same key too.
    openai = httpx.get(f"{second}/v1/models", headers=headers, timeout=30)
    assert openai.status_code == 429 and "Retry-After" in openai.headers
