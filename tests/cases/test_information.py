"""Information required: the pure rules, then the flow on real databases (SLA pause and resume,
lapse, erasure of the rows and the files)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import simexit.attachments.tasks as attachment_tasks
from simexit.attachments import rules as upload_rules
from simexit.attachments import service as attachments
from simexit.attachments.errors import FileEmpty, FileTooLarge, FileTypeNotAllowed
from simexit.audit.service import events_for
from simexit.cases import information
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.cases.errors import InformationMissing, InvalidDueDate
from simexit.cases.service import information as information_service
from simexit.cases.states import CaseStatus, InvalidTransition
from simexit.db import Database
from simexit.integrations.files.directory import DirectoryStore
from simexit.jobs.runner import run_pending
from simexit.lines.errors import NotPermitted
from simexit.models import Attachment, Case, InformationRequest, Subscriber
from simexit.policies.model import Channel, RequestType
from simexit.privacy import service as privacy
from tests.cases.conftest import World

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


# -- pure -------------------------------------------------------------------------------------


class TestUploadRules:
    @pytest.mark.parametrize(
        ("data", "media"),
        [(PDF, "application/pdf"), (b"\xff\xd8\xff\xe0rest", "image/jpeg"), (PNG, "image/png")],
    )
    def test_the_bytes_tell_the_type(self, data: bytes, media: str) -> None:
        assert upload_rules.checked_type(data, max_bytes=1024) == media

    def test_an_executable_named_pdf_is_refused(self) -> None:
        with pytest.raises(FileTypeNotAllowed) as refused:
            upload_rules.checked_type(b"MZ\x90\x00 this is a program", max_bytes=1024)
        assert refused.value.field == "file"

    def test_too_large_and_empty(self) -> None:
        with pytest.raises(FileTooLarge) as refused:
            upload_rules.checked_type(PDF + b" " * 2000, max_bytes=1024)
        assert refused.value.context["max_bytes"] == "1024"
        with pytest.raises(FileEmpty):
            upload_rules.checked_type(b"", max_bytes=1024)


class TestInformationRules:
    def test_due_date_after_today_and_within_the_limit(self) -> None:
        today = date(2026, 12, 7)
        information.check_request("id_copy", today + timedelta(days=7), today=today)
        for bad in (today, today + timedelta(days=information.MAX_DAYS_TO_ANSWER + 1)):
            with pytest.raises(InvalidDueDate):
                information.check_request("id_copy", bad, today=today)

    def test_an_answer_needs_text_or_a_file(self) -> None:
        with pytest.raises(InformationMissing):
            information.check_answer("  ", has_file=False)
        information.check_answer(None, has_file=True)

    def test_the_due_date_moves_by_the_days_waited(self) -> None:
        waited = information.days_waited(date(2026, 12, 1), date(2026, 12, 4))
        assert waited == 3
        assert information.resumed_due_date(date(2026, 12, 10), waited) == date(2026, 12, 13)
        assert information.lapsed(date(2026, 12, 4), today=date(2026, 12, 5))
        assert not information.lapsed(date(2026, 12, 4), today=date(2026, 12, 4))


# -- on a database ----------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> DirectoryStore:
    return DirectoryStore(tmp_path / "files")


@pytest.fixture
def files_ctx(ctx: CaseContext, store: DirectoryStore) -> CaseContext:
    attachment_tasks.install(store)
    return CaseContext(
        packs=ctx.packs, secret_key=ctx.secret_key, files=store, attachment_max_bytes=4096
    )


def _in_review(db: Database, ctx: CaseContext, world: World, now: datetime, due: date) -> uuid.UUID:
    """A case an agent is reviewing, due on `due` (set directly: the pack may auto-approve)."""
    with db.session() as session:
        case = cases.open_case(
            session,
            ctx,
            actor=world.agent,
            line_id=world.line_id,
            case_type=RequestType.terminate,
            channel=Channel.store,
            now=now,
        ).case
        case.status, case.sla_due_date, case.submitted_at = CaseStatus.in_review, due, now
        return case.id


def _ask(db: Database, ctx: CaseContext, world: World, case_id: uuid.UUID, now: datetime) -> None:
    with db.session() as session:
        cases.request_information(
            session,
            ctx,
            actor=world.agent,
            case_id=case_id,
            kind="id_copy",
            message="Please send a copy of your passport.",
            due_date=now.date() + timedelta(days=10),
            now=now,
        )


class TestFlow:
    def test_sla_pauses_while_waiting_and_resumes_moved_by_the_days_waited(
        self,
        db: Database,
        files_ctx: CaseContext,
        world: World,
        now: datetime,
        store: DirectoryStore,
    ) -> None:
        due = now.date() + timedelta(days=5)
        case_id = _in_review(db, files_ctx, world, now, due)
        _ask(db, files_ctx, world, case_id, now)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            assert case.status is CaseStatus.information_required
        later = now + timedelta(days=3)
        with db.session() as session:
            answered = cases.provide_information(
                session,
                files_ctx,
                actor=world.subscriber,
                case_id=case_id,
                text="Here it is.",
                upload=cases.Upload(PDF, "application/pdf"),
                now=later,
            )
            assert answered.status is CaseStatus.in_review
            assert answered.sla_due_date == due + timedelta(days=3)
        with db.read_session() as session:
            actions = [
                e.action for e in events_for(session, subject_type="case", subject_id=case_id)
            ]
            assert "case.request_information" in actions
            assert "case.sla_resumed" in actions
            (kept,) = session.scalars(select(Attachment).where(Attachment.case_id == case_id))
            assert kept.media_type == "application/pdf"
            stored = store.get(kept.storage_key)
            assert PDF not in stored  # sealed at rest
            assert attachments.read(store, kept, secret_key=files_ctx.secret_key) == PDF

    def test_only_staff_ask_and_only_a_case_in_review(
        self, db: Database, files_ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _in_review(db, files_ctx, world, now, now.date())
        with db.session() as session, pytest.raises(NotPermitted):
            cases.request_information(
                session, files_ctx, actor=world.subscriber, case_id=case_id, kind="other",
                message="x", due_date=now.date() + timedelta(days=2), now=now,
            )  # fmt: skip
        _ask(db, files_ctx, world, case_id, now)
        with db.session() as session, pytest.raises(InvalidTransition):
            cases.request_information(
                session, files_ctx, actor=world.agent, case_id=case_id, kind="other",
                message="x", due_date=now.date() + timedelta(days=2), now=now,
            )  # fmt: skip

    def test_a_refused_file_changes_nothing(
        self, db: Database, files_ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _in_review(db, files_ctx, world, now, now.date())
        _ask(db, files_ctx, world, case_id, now)
        with db.session() as session, pytest.raises(FileTypeNotAllowed):
            cases.provide_information(
                session, files_ctx, actor=world.subscriber, case_id=case_id, text=None,
                upload=cases.Upload(b"MZ\x90\x00", "application/pdf"), now=now,
            )  # fmt: skip
        with db.read_session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            assert case.status is CaseStatus.information_required

    def test_unanswered_past_the_due_date_rejects_with_a_reason(
        self, db: Database, files_ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _in_review(db, files_ctx, world, now, now.date())
        _ask(db, files_ctx, world, case_id, now)
        with db.session() as session:
            assert not information_service.lapse(session, files_ctx, case_id=case_id, now=now)
        late = now + timedelta(days=12)
        with db.session() as session:
            assert information_service.lapse(session, files_ctx, case_id=case_id, now=late)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            assert case.status is CaseStatus.rejected
            assert case.rejection_reason == information.LAPSED_REASON

    def test_erasure_removes_the_rows_texts_and_files(
        self,
        db: Database,
        files_ctx: CaseContext,
        world: World,
        now: datetime,
        store: DirectoryStore,
    ) -> None:
        case_id = _in_review(db, files_ctx, world, now, now.date())
        _ask(db, files_ctx, world, case_id, now)
        with db.session() as session:
            cases.provide_information(
                session, files_ctx, actor=world.subscriber, case_id=case_id, text="my name",
                upload=cases.Upload(PNG, "image/png"), now=now,
            )  # fmt: skip
        with db.read_session() as session:
            key = session.scalars(select(Attachment.storage_key)).one()
        assert store.get(key)
        with db.session() as session:
            subscriber = session.get(Subscriber, world.subscriber_id)
            assert subscriber is not None
            reached = privacy.erase_subscriber(session, subscriber, now=now, reason={"test": 1})
            assert reached["attachments"] == 1
            assert reached["information_requests"] == 1
        run_pending(db, now=now, worker_id="test")
        with db.read_session() as session:
            assert session.scalars(select(Attachment)).all() == []
            asked = session.scalars(select(InformationRequest)).one()
            assert asked.message is None
            assert asked.answer_text is None
        with pytest.raises(KeyError):
            store.get(key)
