"""Does a SQL statement carry the user id for every per-user table it reads or writes?

The distribution plan (docs/deploy.md, "Scaling out") shards PostgreSQL by user: a query can go to one shard
only when each per-user table it touches is pinned to one user. This module parses a statement with sqlglot and
answers that question, scope by scope (the main query, each subquery and join):

- a column is *pinned* when a conjunct of the WHERE clause or of an inner join's ON says it equals a constant
  (`t.user_id = 5`, or `IN` of one value); predicates under OR or NOT pin nothing;
- an equality between two columns (`a.user_id = b.user_id`, `p.user_id = auth_user.id`) carries a pin across:
  joins through the user's own rows count. A LEFT JOIN's ON carries it only into the joined table, and a pin
  flows from a query into its subqueries (correlation), never back out;
- a row found by a unique identity key (a username, a token's or a session's key) pins that row's user;
- an INSERT pins the user when every row gives the user column the same constant (a new auth_user row is the
  user itself); a LIKE without wildcards (Django's iexact) is an equality.

Per-user tables and their columns are `USER_COLUMN`; `IDENTITY_KEYS` are the unique lookups that find a user
before the user is known (log-in, bearer token, calendar feed); `ROUTED_BY` covers tables sharded by another key
(sessions by their key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

# Per-user tables -> the column holding the user id (for auth_user, the user is the row itself).
USER_COLUMN = {
    "ledger_entry": "user_id",
    "ledger_checkpoint": "user_id",
    "ledger_head": "user_id",
    "ledger_idempotencyrecord": "user_id",
    "ledger_tombstone": "user_id",
    "ledger_erasure_gate": "user_id",
    "protocols_protocol": "user_id",
    "metrics_metrictype": "user_id",
    "reminders_remindersetting": "user_id",
    "reminders_sentreminder": "user_id",
    "reminders_pushsubscription": "user_id",
    "supplies_supply": "user_id",
    "supplies_draw": "user_id",
    "accounts_profile": "user_id",
    "accounts_apitoken": "user_id",
    "accounts_calendartoken": "user_id",
    "accounts_twostep": "user_id",
    "accounts_recoverycode": "user_id",
    "auth_user": "id",
}
# Unique keys that identify one user's row before the user id is known.
IDENTITY_KEYS = {
    "auth_user": {"username", "email"},  # a password reset finds the account by its email
    "accounts_apitoken": {"digest"},
    "accounts_calendartoken": {"digest"},
}
# Tables sharded by a key of their own: every statement must carry it.
ROUTED_BY = {"django_session": "session_key"}

# Where each table lives when PostgreSQL is sharded by user (Citus): the plan docs/deploy.md gives, table by table.
# "user_id": distributed by the user id, co-located; "session_key": distributed by its own key; "reference":
# a copy on every node (small, rarely written, read everywhere); "local": on the coordinator only.
PLAN = {
    "ledger_entry": "user_id",
    "ledger_checkpoint": "user_id",
    "ledger_head": "user_id",
    "ledger_idempotencyrecord": "user_id",
    "ledger_tombstone": "user_id",
    "ledger_erasure_gate": "user_id",
    "protocols_protocol": "user_id",
    "metrics_metrictype": "user_id",
    "reminders_remindersetting": "user_id",
    "reminders_sentreminder": "user_id",
    "reminders_pushsubscription": "user_id",
    "supplies_supply": "user_id",
    "supplies_draw": "user_id",
    "django_session": "session_key",
    "auth_user": "reference",
    "accounts_profile": "reference",
    "accounts_apitoken": "reference",
    "accounts_calendartoken": "reference",
    "guides_guide": "reference",
    "guides_guideversion": "reference",
    "auth_group": "reference",
    "auth_group_permissions": "reference",
    "auth_permission": "reference",
    "auth_user_groups": "reference",
    "auth_user_user_permissions": "reference",
    "django_content_type": "reference",
    "django_admin_log": "local",
    "accounts_twostep": "reference",
    "accounts_recoverycode": "reference",
    "accounts_invite": "reference",
    "axes_accessattempt": "local",
    "axes_accessattemptexpiration": "local",
    "axes_accessfailurelog": "local",
    "axes_accesslog": "local",
    "django_migrations": "local",
}

STATEMENT = re.compile(r"^\s*(WITH|SELECT|INSERT|UPDATE|DELETE)\b", re.I)


@dataclass
class Scope:
    parent: Scope | None
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> table name
    pinned: set[tuple[str, str]] = field(default_factory=set)  # (alias, column)

    def owner(self, alias: str) -> Scope | None:
        scope: Scope | None = self
        while scope is not None:
            if alias in scope.aliases:
                return scope
            scope = scope.parent
        return None


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _value(node: exp.Expression) -> exp.Expression:
    """The column or constant under parentheses, casts and case folding (PostgreSQL's iexact is UPPER(x) = UPPER(y))."""
    node = _unwrap(node)
    while isinstance(node, (exp.Cast, exp.Upper, exp.Lower)):
        node = _unwrap(node.this)
    return node


def conjuncts(condition: exp.Expression | None) -> list[exp.Expression]:
    """The top-level AND terms of a condition (through parentheses); an OR or NOT stays one opaque term."""
    if condition is None:
        return []
    node = _unwrap(condition.this if isinstance(condition, exp.Where) else condition)
    if isinstance(node, exp.And):
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def _constant(node: exp.Expression) -> bool:
    node = _value(node)
    return isinstance(node, (exp.Literal, exp.Placeholder, exp.Parameter, exp.Boolean)) or (
        isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal)
    )


def _unnest_values(values: exp.Expression | None, at: int) -> set[str] | None:
    """The distinct values of column `at` in Django's PostgreSQL bulk insert (`SELECT * FROM UNNEST(arrays)`), or
    None when `values` is not that shape or the array is not a constant."""
    source = values.args.get("from_") or values.args.get("from") if isinstance(values, exp.Select) else None
    unnest = source.this if isinstance(source, exp.From) else None
    if not isinstance(unnest, exp.Unnest) or at >= len(unnest.expressions):
        return None
    array = _value(unnest.expressions[at])
    if not (isinstance(array, exp.Literal) and array.is_string and array.this.startswith("{")):
        return None
    return {item.strip() for item in array.this.strip("{}").split(",")}


class Checker:
    def __init__(self, dialect: str):
        self.dialect = dialect

    def problems(self, sql: str) -> list[str]:
        """Why `sql` is not pinned to one user (or to one routing key); [] when it is, or touches no such table."""
        if not STATEMENT.match(sql):
            return []
        tree = sqlglot.parse_one(sql, dialect=self.dialect)
        found: list[str] = []
        self.statement(tree, None, found)
        return found

    # ---- statements

    def statement(self, node: exp.Expression, parent: Scope | None, found: list[str]) -> None:
        if isinstance(node, exp.Subquery):
            node = node.this
        if isinstance(node, exp.SetOperation):
            self.statement(node.left, parent, found)
            self.statement(node.right, parent, found)
        elif isinstance(node, exp.Select):
            self.select(node, parent, found)
        elif isinstance(node, exp.Insert):
            self.insert(node, parent, found)
        elif isinstance(node, (exp.Update, exp.Delete)):
            scope = Scope(parent)
            self.add_table(scope, node.this)
            self.settle(scope, conjuncts(node.args.get("where")), [])
            self.report(scope, found, node)
            self.subqueries(node, scope, found)
        else:
            self.subqueries(node, parent, found)

    def select(self, node: exp.Select, parent: Scope | None, found: list[str]) -> None:
        scope = Scope(parent)
        source = node.args.get("from_") or node.args.get("from")
        derived: list[exp.Expression] = []
        if source is not None:
            self.add_source(scope, source.this, derived)
        inner: list[exp.Expression] = list(conjuncts(node.args.get("where")))
        left: list[tuple[str, exp.Expression]] = []
        for join in node.args.get("joins") or []:
            self.add_source(scope, join.this, derived)
            on = conjuncts(join.args.get("on"))
            if (join.args.get("side") or "").upper() in ("LEFT", "RIGHT", "FULL"):
                left += [(join.this.alias_or_name, term) for term in on]
            else:
                inner += on
        self.settle(scope, inner, left)
        self.report(scope, found, node)
        for sub in derived:
            self.statement(sub, parent, found)  # a derived table is its own query, uncorrelated
        self.subqueries(node, scope, found, skip=derived)

    def insert(self, node: exp.Insert, parent: Scope | None, found: list[str]) -> None:
        target = node.this
        table = target.this if isinstance(target, exp.Schema) else target
        name = table.name
        column = USER_COLUMN.get(name) or ROUTED_BY.get(name)
        values = node.expression
        if column is not None and column == "id":
            pass  # a new row of the user table: it is the user (the id is made by the insert)
        elif column is not None:
            columns = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else []
            unnested = _unnest_values(values, columns.index(column)) if column in columns else None
            if unnested is not None:  # PostgreSQL's bulk insert: INSERT ... SELECT * FROM UNNEST('{5,5}'::int[], ...)
                if len(unnested) != 1:
                    found.append(f"INSERT INTO {name} writes rows of several users ({column} = {sorted(unnested)})")
                values = None
            elif not isinstance(values, exp.Values) or column not in columns:
                found.append(f"INSERT INTO {name} does not give {column}")
            else:
                at = columns.index(column)
                given = {_unwrap(row.expressions[at]).sql() for row in values.expressions}
                rows_ok = all(_constant(row.expressions[at]) for row in values.expressions)
                if not rows_ok or len(given) != 1:
                    found.append(f"INSERT INTO {name} writes rows of several users ({column} = {sorted(given)})")
        if values is not None and not isinstance(values, exp.Values):
            self.statement(values, parent, found)

    def subqueries(self, node: exp.Expression, scope: Scope | None, found: list[str], skip=()) -> None:
        """Every query nested in `node` (EXISTS, IN, scalar subqueries), each correlated with `scope`."""
        for child in node.iter_expressions():
            if any(child is s for s in skip):
                continue
            if isinstance(child, (exp.Select, exp.SetOperation)):
                self.statement(child, scope, found)
            elif isinstance(child, exp.Subquery) and not isinstance(child.parent, (exp.From, exp.Join)):
                self.statement(child.this, scope, found)
            else:
                self.subqueries(child, scope, found)

    # ---- one scope

    def add_source(self, scope: Scope, source: exp.Expression, derived: list[exp.Expression]) -> None:
        if isinstance(source, exp.Table):
            self.add_table(scope, source)
        elif isinstance(source, exp.Subquery):
            derived.append(source.this)
            scope.aliases[source.alias_or_name] = ""

    @staticmethod
    def add_table(scope: Scope, table: exp.Expression) -> None:
        if isinstance(table, exp.Table):
            scope.aliases[table.alias_or_name] = table.name

    def column_key(self, scope: Scope, node: exp.Expression) -> tuple[Scope, tuple[str, str]] | None:
        node = _value(node)
        if not isinstance(node, exp.Column):
            return None
        alias = node.table
        if not alias:
            mine = [a for a, t in scope.aliases.items() if t]
            if len(mine) != 1:
                return None
            alias = mine[0]
        owner = scope.owner(alias)
        return None if owner is None else (owner, (alias, node.name))

    def settle(self, scope: Scope, inner: list[exp.Expression], left: list[tuple[str, exp.Expression]]) -> None:
        """Pin what the conjuncts pin, then carry pins across equalities until nothing changes."""
        edges: list[tuple[tuple[Scope, tuple[str, str]], tuple[Scope, tuple[str, str]], str | None]] = []
        for term, joined in [(t, None) for t in inner] + [(t, a) for a, t in left]:
            term = _unwrap(term)
            if isinstance(term, exp.EQ):
                a, b = self.column_key(scope, term.left), self.column_key(scope, term.right)
                if a and b:
                    edges.append((a, b, joined))
                else:
                    column = (
                        a if b is None and _constant(term.right) else b if a is None and _constant(term.left) else None
                    )
                    # A constant pins a column of this scope only (an outer column's pin would flow outwards).
                    if column and column[0] is scope and (joined is None or column[1][0] == joined):
                        scope.pinned.add(column[1])
            elif isinstance(term, (exp.Like, exp.ILike, exp.Escape)) and self.exact_pattern(term):
                like = term.this if isinstance(term, exp.Escape) else term
                a = self.column_key(scope, like.this)
                if a and a[0] is scope and (joined is None or a[1][0] == joined):
                    scope.pinned.add(a[1])  # iexact: LIKE without a wildcard, one value whatever the case
            elif isinstance(term, exp.In) and not term.args.get("query"):
                a = self.column_key(scope, term.this)
                items = term.expressions
                if a and a[0] is scope and len({i.sql() for i in items}) == 1 and all(_constant(i) for i in items):
                    if joined is None or a[1][0] == joined:
                        scope.pinned.add(a[1])
        changed = True
        while changed:
            changed = False
            for alias, table in scope.aliases.items():  # a row found by a unique identity key pins its user
                keys = IDENTITY_KEYS.get(table, set())
                user = (alias, USER_COLUMN.get(table, ""))
                if user[1] and user not in scope.pinned and any((alias, k) in scope.pinned for k in keys):
                    scope.pinned.add(user)
                    changed = True
            for (sa, ka), (sb, kb), joined in edges:
                pa, pb = ka in sa.pinned, kb in sb.pinned
                # Pins flow within this scope, and from an outer query into this one, never outwards.
                if pa and not pb and sb is scope and (joined is None or kb[0] == joined):
                    sb.pinned.add(kb)
                    changed = True
                elif pb and not pa and sa is scope and (joined is None or ka[0] == joined):
                    sa.pinned.add(ka)
                    changed = True

    @staticmethod
    def exact_pattern(term: exp.Expression) -> bool:
        like = term.this if isinstance(term, exp.Escape) else term
        if not isinstance(like, (exp.Like, exp.ILike)) or not isinstance(like.expression, exp.Literal):
            return False
        pattern = re.sub(r"\\[%_\\]", "", like.expression.this)  # escaped wildcards match themselves
        return "%" not in pattern and "_" not in pattern

    @staticmethod
    def report(scope: Scope, found: list[str], node: exp.Expression) -> None:
        for alias, table in scope.aliases.items():
            column = USER_COLUMN.get(table) or ROUTED_BY.get(table)
            if column and (alias, column) not in scope.pinned:
                what = "user id" if table in USER_COLUMN else column
                found.append(f"{table} (as {alias}) is not pinned to one {what} in: {node.sql()[:300]}")
