"""One operator's cancellations on PostgreSQL run side by side, not one at a time (issue 23).

Sixteen cancellations of sixteen lines of one operator each open, attest and submit their case in
a transaction of their own and then hold it open. If any row of the write path were shared by
the operator (the old case-reference counter and audit-chain head were), all but one would be
stuck waiting for that row's lock and never get to the meeting point. The database itself is
asked, while all sixteen hold their transactions, who waits on a lock: nobody may. No timing is
measured; the meeting point's timeout only keeps a regression from hanging the run.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

import pytest
from sqlalchemy import text

from simexit.audit.sealing import seal_all
from simexit.audit.service import verify_operator
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, RequestType
from simexit.verification.methods import Method
from tests.cases.conftest import build_world, more_lines

CANCELLATIONS = 16
MEETING_TIMEOUT_SECONDS = 120

_WAITING_ON_LOCKS = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)
_UNGRANTED_LOCKS = text(
    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
    "WHERE d.datname = current_database() AND NOT l.granted"
)
_OPEN_WRITERS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND state = 'idle in transaction' AND backend_xid IS NOT NULL"
)
_WHO_WAITS = text(
    "SELECT wait_event, left(query, 120) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_sixteen_cancellations_of_one_operator_hold_their_transactions_at_once(
    database_url: str, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    db = Database(database_url, pool_size=CANCELLATIONS + 2)
    try:
        world = build_world(db, packs)
        line_ids = more_lines(db, world, CANCELLATIONS, first_number=41200000)
        written = threading.Barrier(CANCELLATIONS + 1, timeout=MEETING_TIMEOUT_SECONDS)
        looked = threading.Barrier(CANCELLATIONS + 1, timeout=MEETING_TIMEOUT_SECONDS)
        errors: list[BaseException] = []

        def cancel(line_id: uuid.UUID) -> None:
            try:
                with db.session() as session:
                    case = cases.open_case(
                        session,
                        ctx,
                        actor=world.agent,
                        line_id=line_id,
                        case_type=RequestType.terminate,
                        channel=Channel.store,
                        now=now,
                    ).case
                    cases.attest_identity(
                        session,
                        ctx,
                        actor=world.agent,
                        case_id=case.id,
                        method=Method.id_document,
                        now=now,
                        document_type="passport",
                        document_last4="1234",
                    )
                    cases.submit(session, ctx, actor=world.agent, case_id=case.id, now=now)
                    written.wait()  # every cancellation has written and not committed
                    looked.wait()  # the database has been asked who waits
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=cancel, args=(line_id,)) for line_id in line_ids]
        for thread in threads:
            thread.start()
        with db.engine.connect() as observer:
            try:
                written.wait()
            except threading.BrokenBarrierError:
                waits = observer.execute(_WHO_WAITS).all()
                looked.abort()
                pytest.fail(f"cancellations of one operator waited on each other's locks: {waits}")
            waiting = observer.execute(_WAITING_ON_LOCKS).scalar_one()
            ungranted = observer.execute(_UNGRANTED_LOCKS).scalar_one()
            open_writers = observer.execute(_OPEN_WRITERS).scalar_one()
            looked.wait()
        for thread in threads:
            thread.join(timeout=MEETING_TIMEOUT_SECONDS)
        assert errors == []
        assert (waiting, ungranted) == (0, 0)
        assert open_writers == CANCELLATIONS

        seal_all(db)
        with db.read_session() as session:
            report = verify_operator(session, world.operator_id)
            references = session.execute(
                text(
                    "SELECT reference FROM cases WHERE operator_id = :operator ORDER BY reference"
                ),
                {"operator": world.operator_id},
            ).scalars()
            assert list(references) == [f"NO-2026-{n:06d}" for n in range(1, CANCELLATIONS + 1)]
        assert report.ok, report.problem
        assert report.unsealed == 0
        assert report.events >= 3 * CANCELLATIONS
    finally:
        db.dispose()
