"""Figures cached under version tokens that every relevant write replaces.

Some figures cost far more to compute than to read, and are read far more often than the rows behind
them change: a city's meeting completion (`orglife.completion` over 755 branches takes about half a
second, most of it applying the period rules in Python), the organisation warnings (each branch's
members and current committee counted), the 一岗双责 filing rates (every member tested against the
period's roster). Each belongs to a *topic*; the app that owns a model declares which topics read it
(`watch`, from its AppConfig.ready), and entries are kept per database, topic, token and whatever
else the figure depends on (the year, the day — a period turns from "in progress" to "missed"
overnight — and whose scope is asked).

Correctness: every save or delete of a watched row replaces its topics' tokens, so the next reader
recomputes. A token is replaced at once and again when the transaction commits: another request may
have computed from the old committed data in between and stored its result under the first new
token. Tokens are random, never counters, so an evicted token can never bring old entries back.

A replacement the cache refuses (Redis failing) is remembered by the process that wrote and sent
again before its next read, so once Redis answers the entries kept before the outage are not read
again from that process; other processes may read them until it does, or until they expire.

Writes that bypass model signals (`bulk_create`, `bulk_update`, `QuerySet.update`) send
`partybuild.signals.bulk_written` for their model, which replaces the tokens the same way; the demo
seed and tests that write raw rows call `invalidate()`. A migration replaces every token through
`post_migrate`, and entries expire after `TIMEOUT` in any case.

Parts: a topic may also keep a value per part (completion per branch, `get_or_compute_parts`), each
under the topic's token and a token of the part's own; `watch_parts` replaces only the tokens of the
parts a row belongs to before and after a change, so one branch's meeting recomputes one branch.
Links of a many-to-many relation (a task's assignees) are watched the same way (`watch_link_parts`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import connections, router, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_delete, pre_save

from partybuild.signals import bulk_written

TIMEOUT = 60 * 60
# Rendered pages are cheap to render again (tens of milliseconds) and are what people act on: they are
# kept for minutes, so a token replacement lost in a cache outage shows for minutes, not an hour.
PAGE_TIMEOUT = 10 * 60
_PREFIX = "figures"
_MISSING = object()
_watched: dict = {}  # model -> the topics that read it
_ignored_fields: dict = {}  # model -> fields whose saves alone change nothing any topic shows
_unsent: set = set()  # token keys whose replacement the cache refused (see _resend)
_link_watchers: dict = {}  # many-to-many through model -> [(topic, parts_of)]
_part_watchers: dict = {}  # model -> [(topic, parts_of)]: changes that touch some parts of a topic only


def _database_name(using: str = "default") -> str:
    # One Redis may serve several databases (test workers, bench databases): keep them apart.
    return str(connections[using].settings_dict["NAME"])


def _version_key(topic: str, using: str = "default") -> str:
    return f"{_PREFIX}:{topic}:version:{_database_name(using)}"


def _replace_tokens(keys: Iterable[str]) -> None:
    """Give these tokens new random values; any the cache refuses are sent again before the next read."""
    failed = cache.set_many({key: uuid.uuid4().hex for key in keys}, None)
    _unsent.update(failed or ())


def _resend() -> None:
    # A write made while the cache was failing could not replace its tokens. This process remembers them and
    # replaces them as soon as the cache answers again, before reading anything kept under them.
    if _unsent:
        pending = set(_unsent)
        failed = set(cache.set_many({key: uuid.uuid4().hex for key in pending}, None) or ())
        _unsent.difference_update(pending - failed)


def _bump(names: Iterable[str] | None = None, using: str = "default") -> None:
    names = topics() if names is None else names
    _replace_tokens(_version_key(topic, using) for topic in names)


def current_version(topic: str, using: str = "default") -> str:
    _resend()
    key = _version_key(topic, using)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, None)
        token = cache.get(key)
    return token


def entry_key(topic: str, *parts, using: str = "default") -> str:
    tail = ":".join(str(p) for p in parts)
    return f"{_PREFIX}:{topic}:{_database_name(using)}:{current_version(topic, using)}:{tail}"


def get_or_compute(topic: str, parts: tuple, compute: Callable[[], object], using: str = "default"):
    """The cached value for the topic's current token and `parts`, computed and stored when missing."""
    key = entry_key(topic, *parts, using=using)
    found = cache.get(key, _MISSING)
    if found is _MISSING:
        found = compute()
        cache.set(key, found, TIMEOUT)
    return found


def invalidate(names: Iterable[str] | None = None, using: str = "default") -> None:
    """Forget the topics' (all topics') cached figures for the database, now and when the transaction commits."""
    names = tuple(topics() if names is None else names)
    _bump(names, using)
    transaction.on_commit(lambda: _bump(names, using), using=using)


def watch(topic: str, models: Iterable, *, ignore_fields: Iterable[str] = ()) -> None:
    """Replace the topic's token on every save, delete or announced bulk write of these models.

    `ignore_fields`: a save that writes only these fields (`save(update_fields=...)`, as Django's
    log-in does with `last_login`) replaces nothing. It applies to every topic that watches the model.
    """
    for model in models:
        _watched.setdefault(model, set()).add(topic)
        if ignore_fields:
            _ignored_fields[model] = _ignored_fields.get(model, frozenset()) | frozenset(ignore_fields)
        uid = f"figures-{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}-delete")
        bulk_written.connect(_on_change, sender=model, dispatch_uid=f"{uid}-bulk")
    post_migrate.connect(_on_migrate, dispatch_uid="figures-migrate")


def topics() -> list[str]:
    return sorted(set().union(*_watched.values())) if _watched else []


def watched() -> dict:
    """Each watched model with the topics that read it."""
    return {model: frozenset(names) for model, names in _watched.items()}


def _on_change(sender, using=None, update_fields=None, **kwargs) -> None:
    if update_fields and set(update_fields) <= _ignored_fields.get(sender, frozenset()):
        return
    names = _watched.get(sender)
    if names:
        invalidate(names, using or router.db_for_write(sender))


def _on_migrate(sender, using="default", **kwargs) -> None:
    _bump(topics(), using)


# --- parts: a topic whose figures are kept per part (e.g. per branch) --------------------------------


def _part_key(topic: str, part, using: str) -> str:
    return f"{_PREFIX}:{topic}:part-version:{_database_name(using)}:{part}"


def _bump_parts(topic: str, parts, using: str) -> None:
    _replace_tokens(_part_key(topic, part, using) for part in parts)


def invalidate_parts(topic: str, parts, using: str = "default") -> None:
    """Forget the parts' cached values of the topic, now and once the current transaction commits."""
    parts = tuple(parts)
    if parts:
        _bump_parts(topic, parts, using)
        transaction.on_commit(lambda: _bump_parts(topic, parts, using), using=using)


def get_or_compute_parts(
    topic: str, parts: list, key: tuple, compute_missing: Callable[[list], dict], using: str = "default"
) -> dict:
    """Values kept per part, each under the topic's token and the part's own; the missing ones computed together.

    A change to one part (a meeting of one branch) then costs one part's computation, not all of them.
    Tokens are read (or created) before anything is computed, so a value is never older than the
    tokens it is stored under (see the module's note on correctness).
    """
    base = current_version(topic, using)
    token_keys = {part: _part_key(topic, part, using) for part in parts}
    tokens = cache.get_many(list(token_keys.values()))
    new = {k: uuid.uuid4().hex for k in token_keys.values() if k not in tokens}
    if new:
        cache.set_many(new, None)
        tokens.update(new)
    tail = ":".join(str(p) for p in key)
    db = _database_name(using)
    entries = {part: f"{_PREFIX}:{topic}:{db}:{base}:{tail}:{part}:{tokens[token_keys[part]]}" for part in parts}
    found = cache.get_many(list(entries.values()))
    values = {part: found[entry] for part, entry in entries.items() if entry in found}
    missing = [part for part in parts if part not in values]
    if missing:
        computed = compute_missing(missing)
        cache.set_many({entries[part]: value for part, value in computed.items()}, TIMEOUT)
        values.update(computed)
    return values


def watch_parts(topic: str, models: Iterable, parts_of: Callable) -> None:
    """Replace the tokens of the parts a save or delete of these models touches, before and after it.

    `parts_of(instance)` names the parts of one row (e.g. its branch); a topic may name several for one
    model. A bulk write of these models replaces the parts of the rows it announces (`bulk_written`'s
    `rows`), or, when it does not know them, the topic's own token: every part at once.
    """
    for model in models:
        _part_watchers.setdefault(model, []).append((topic, parts_of))
        # One set of handlers per model, whatever the number of topics: they serve every topic at once.
        uid = f"figures-parts-{model._meta.label_lower}"
        pre_save.connect(_remember_parts, sender=model, dispatch_uid=f"{uid}-pre")
        # Parts read through relations (a task's assignees) must be read while the row still exists.
        pre_delete.connect(_remember_parts, sender=model, dispatch_uid=f"{uid}-pre-delete")
        post_save.connect(_on_part_change, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_part_change, sender=model, dispatch_uid=f"{uid}-delete")
        bulk_written.connect(_on_part_bulk, sender=model, dispatch_uid=f"{uid}-bulk")


def _remember_parts(sender, instance, using=None, **kwargs) -> None:
    # A row may move (a meeting to another branch): the parts it leaves change as much as those it joins.
    old = sender._base_manager.using(using).filter(pk=instance.pk).first() if instance.pk is not None else None
    remembered: dict[str, set] = {}
    if old is not None:
        for topic, parts_of in _part_watchers[sender]:
            remembered.setdefault(topic, set()).update(parts_of(old))
    instance._figures_old_parts = remembered


def _on_part_change(sender, instance, using=None, **kwargs) -> None:
    using = using or router.db_for_write(sender)
    old = getattr(instance, "_figures_old_parts", {})
    for topic, parts_of in _part_watchers[sender]:
        invalidate_parts(topic, set(parts_of(instance)) | old.get(topic, set()), using)


def _on_part_bulk(sender, using=None, rows=None, **kwargs) -> None:
    using = using or router.db_for_write(sender)
    for topic, parts_of in _part_watchers[sender]:
        if rows is None:
            invalidate([topic], using)
        else:
            invalidate_parts(topic, set().union(*(parts_of(row) for row in rows)), using)


def watch_link_parts(topic: str, through, parts_of: Callable) -> None:
    """Replace the parts touched by links of a many-to-many relation added, removed or cleared, from either side.

    `parts_of(link)` names the parts of one link: an instance of the `through` model with its two keys set
    (a task's assignee: `task_id`, `member_id`). Links cleared are read before the clear.
    """
    _link_watchers.setdefault(through, []).append((topic, parts_of))
    m2m_changed.connect(_on_link_change, sender=through, dispatch_uid=f"figures-links-{through._meta.label_lower}")


def _link_keys(through, instance) -> tuple[str, str]:
    """The through model's key toward `instance`'s model and its key toward the other side."""
    keys = [f for f in through._meta.fields if f.is_relation]
    source = next(f for f in keys if isinstance(instance, f.related_model))
    target = next(f for f in keys if f is not source)
    return source.attname, target.attname


def _on_link_change(sender, instance, action, pk_set, using, **kwargs) -> None:
    source, target = _link_keys(sender, instance)
    if action == "pre_clear":
        instance._figures_cleared_links = list(sender._base_manager.using(using).filter(**{source: instance.pk}))
        return
    if action == "post_clear":
        links = instance.__dict__.pop("_figures_cleared_links", [])
    elif action in ("post_add", "post_remove"):
        links = [sender(**{source: instance.pk, target: pk}) for pk in pk_set or ()]
    else:
        return
    for topic, parts_of in _link_watchers[sender]:
        invalidate_parts(topic, set().union(*(parts_of(link) for link in links)), using)


# --- values kept under several tokens at once ----------------------------------------------------


def get_or_compute_under(
    topics: Iterable[str],
    parts: Iterable[tuple[str, object]],
    key: tuple,
    compute: Callable[[], object],
    using: str = "default",
    timeout: int = TIMEOUT,
):
    """The value for `key` under the current tokens of `topics` and of the (topic, part) pairs in `parts`.

    Replacing any one of those tokens makes the next reader compute it again: a page that shows one
    project keeps its HTML under the project's part token and the token of the shared rows it names.
    Tokens are read before `compute` runs, as in `get_or_compute_parts`. `timeout` bounds how long a
    value may outlive a token replacement lost while the cache was failing.
    """
    _resend()
    token_keys = [_version_key(topic, using) for topic in topics]
    token_keys += [_part_key(topic, part, using) for topic, part in parts]
    tokens = cache.get_many(token_keys)
    for token_key in token_keys:
        if token_key not in tokens:
            cache.add(token_key, uuid.uuid4().hex, None)
            tokens[token_key] = cache.get(token_key)
    if None in tokens.values():
        # The cache is failing (partybuild.cache logs it): without tokens nothing may be kept or reused.
        return compute()
    # The tokens are random; a digest keeps the key short whatever their number.
    signature = hashlib.sha1(repr(([tokens[k] for k in token_keys], key)).encode()).hexdigest()
    entry = f"{_PREFIX}:under:{_database_name(using)}:{signature}"
    found = cache.get(entry, _MISSING)
    if found is _MISSING:
        found = compute()
        cache.set(entry, found, timeout)
    return found
