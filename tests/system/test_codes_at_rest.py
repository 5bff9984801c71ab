"""One-time codes are never stored in the clear (issue 17, finding 8): registered through the gateway, the
code reaches the mailbox, yet no row of identity's or notification's database and no byte of the WAL written
meanwhile (what replicas and backups receive) holds it."""

from sqlalchemy import create_engine, text

from antre_common.testing import wal_position, wal_since

from .people import code_from_mail, new_person


def rows_as_text(engine):
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        return [r for t in tables for r in conn.execute(text(f'SELECT t::text FROM "{t}" t')).scalars()]  # noqa: S608


def test_a_registration_code_is_mailed_but_written_nowhere_in_the_clear(stack, gateway, mailbox):
    engines = {name: create_engine(stack.config.database_url(name)) for name in ("identity", "notification")}
    try:
        with engines["identity"].connect() as conn:
            start = wal_position(conn)
        person = new_person()
        assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
        code = code_from_mail(mailbox, person["email"])
        with engines["identity"].connect() as conn:
            sealed = (
                conn.execute(
                    text("SELECT payload->'data'->>'otp_sealed' FROM outbox WHERE event_type = 'otp_requested'")
                )
                .scalars()
                .all()
            )
            wal = wal_since(conn, start)
        assert sealed and all(sealed)
        for name, engine in engines.items():
            assert not [r for r in rows_as_text(engine) if code in r], name
        assert any(s.encode() in wal for s in sealed)  # the WAL read does see the outbox rows
        assert code.encode() not in wal
        answer = gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": code})
        assert answer.status_code == 200  # the code notification opened is the right one
    finally:
        for engine in engines.values():
            engine.dispose()
