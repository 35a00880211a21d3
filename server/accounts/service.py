"""Account queries and changes. Functions take the session first; views build no SQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.errors import (
    AccountNotActive,
    BadAccountInput,
    EmailTaken,
    StoreSlugTaken,
    WrongCredentials,
)
from server.accounts.models import (
    AccountStatus,
    CreatorAssignment,
    Role,
    Store,
    User,
    UserSession,
)
from server.accounts.passwords import hash_password, verify_password
from server.db import utcnow
from server.errors import N_, NotFound

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
SIGN_UP_ROLES = (Role.SHOPPER, Role.MERCHANT, Role.CREATOR)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _check_new_account(email: str, password: str, display_name: str) -> None:
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise BadAccountInput(N_("Enter a valid e-mail address."), field="email")
    if len(password) < MIN_PASSWORD:
        raise BadAccountInput(
            N_("The password needs at least %(n)d characters."), field="password", n=MIN_PASSWORD
        )
    if not display_name.strip() or len(display_name.strip()) > 60:
        raise BadAccountInput(N_("Enter a name of 1 to 60 characters."), field="display_name")


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normalise_email(email)))


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role,
    locale: str = "ko",
    status: AccountStatus | None = None,
    store_id: int | None = None,
) -> User:
    email = normalise_email(email)
    _check_new_account(email, password, display_name)
    if await get_user_by_email(session, email) is not None:
        raise EmailTaken()
    if status is None:
        # Shoppers can buy at once; people who sell or go live wait for an operator.
        status = AccountStatus.ACTIVE if role is Role.SHOPPER else AccountStatus.PENDING
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        role=role,
        status=status,
        locale=locale,
        store_id=store_id,
    )
    session.add(user)
    await session.flush()
    return user


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).strip().lower()
    text = re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-")
    return text[:60] or "store"


async def create_store(
    session: AsyncSession,
    *,
    name: str,
    description: str = "",
    market: str = "",
    region: str = "",
    refund_policy: str = "",
    slug: str | None = None,
) -> Store:
    name = name.strip()
    if not name or len(name) > 120:
        raise BadAccountInput(N_("Enter a store name of 1 to 120 characters."), field="store_name")
    base = slugify(slug or name)
    candidate, n = base, 1
    while await session.scalar(select(Store.id).where(Store.slug == candidate)) is not None:
        if slug:
            raise StoreSlugTaken(slug=slug)
        n += 1
        candidate = f"{base}-{n}"
    store = Store(
        name=name,
        slug=candidate,
        description=description.strip(),
        market=market.strip(),
        region=region.strip(),
        refund_policy=refund_policy.strip(),
    )
    session.add(store)
    await session.flush()
    return store


async def sign_up_merchant(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    store_name: str,
    market: str = "",
    region: str = "",
    locale: str = "ko",
) -> User:
    _check_new_account(normalise_email(email), password, display_name)
    if await get_user_by_email(session, email) is not None:
        raise EmailTaken()
    store = await create_store(session, name=store_name, market=market, region=region)
    return await create_user(
        session,
        email=email,
        password=password,
        display_name=display_name,
        role=Role.MERCHANT,
        locale=locale,
        store_id=store.id,
    )


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    user = await get_user_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise WrongCredentials()
    if not user.is_active:
        raise AccountNotActive(status=user.status.value)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(session: AsyncSession, user: User, days: int) -> str:
    """A fresh session token for `user`. A new token at every sign-in is the rotation."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            expires_at=utcnow() + dt.timedelta(days=days),
        )
    )
    await session.flush()
    return token


async def user_for_token(session: AsyncSession, token: str) -> User | None:
    row = await session.execute(
        select(User, UserSession.expires_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _token_hash(token))
    )
    found = row.first()
    if found is None:
        return None
    user, expires_at = found
    if expires_at <= utcnow() or not user.is_active:
        return None
    return user


async def close_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(N_("Account %(id)s does not exist."), id=user_id)
    return user


async def pending_accounts(session: AsyncSession) -> list[User]:
    rows = await session.scalars(
        select(User).where(User.status == AccountStatus.PENDING).order_by(User.created_at)
    )
    return list(rows)


async def set_status(session: AsyncSession, user_id: int, status: AccountStatus) -> User:
    user = await get_user(session, user_id)
    user.status = status
    if status is not AccountStatus.ACTIVE:
        await session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return user


async def list_users(session: AsyncSession, role: Role | None = None) -> list[User]:
    query = select(User).order_by(User.role, User.display_name)
    if role is not None:
        query = query.where(User.role == role)
    return list(await session.scalars(query))


async def get_store(session: AsyncSession, store_id: int) -> Store:
    store = await session.get(Store, store_id)
    if store is None:
        raise NotFound(N_("Store %(id)s does not exist."), id=store_id)
    return store


async def get_store_by_slug(session: AsyncSession, slug: str) -> Store:
    store = await session.scalar(select(Store).where(Store.slug == slug))
    if store is None:
        raise NotFound(N_("Store %(id)s does not exist."), id=slug)
    return store


async def list_stores(session: AsyncSession) -> list[Store]:
    return list(await session.scalars(select(Store).order_by(Store.name)))


async def assign_creator(session: AsyncSession, creator_id: int, store_id: int) -> None:
    creator = await get_user(session, creator_id)
    if creator.role is not Role.CREATOR:
        raise BadAccountInput(N_("Only creators can be assigned to a store."), field="creator")
    await get_store(session, store_id)
    exists = await session.scalar(
        select(CreatorAssignment.id).where(
            CreatorAssignment.creator_id == creator_id, CreatorAssignment.store_id == store_id
        )
    )
    if exists is None:
        session.add(CreatorAssignment(creator_id=creator_id, store_id=store_id))
        await session.flush()


async def unassign_creator(session: AsyncSession, creator_id: int, store_id: int) -> None:
    await session.execute(
        delete(CreatorAssignment).where(
            CreatorAssignment.creator_id == creator_id, CreatorAssignment.store_id == store_id
        )
    )


async def creators_of_store(session: AsyncSession, store_id: int) -> list[User]:
    rows = await session.scalars(
        select(User)
        .join(CreatorAssignment, CreatorAssignment.creator_id == User.id)
        .where(CreatorAssignment.store_id == store_id)
        .order_by(User.display_name)
    )
    return list(rows)


async def stores_of_creator(session: AsyncSession, creator_id: int) -> list[Store]:
    rows = await session.scalars(
        select(Store)
        .join(CreatorAssignment, CreatorAssignment.store_id == Store.id)
        .where(CreatorAssignment.creator_id == creator_id)
        .order_by(Store.name)
    )
    return list(rows)


async def update_store(
    session: AsyncSession,
    store: Store,
    *,
    name: str,
    description: str,
    market: str,
    region: str,
    refund_policy: str,
) -> Store:
    name = name.strip()
    if not name or len(name) > 120:
        raise BadAccountInput(N_("Enter a store name of 1 to 120 characters."), field="name")
    store.name = name
    store.description = description.strip()
    store.market = market.strip()
    store.region = region.strip()
    store.refund_policy = refund_policy.strip()
    return store
