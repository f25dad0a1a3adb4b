"""An import job's file cut into chunks keeps each row's line of the uploaded file, also when a
quoted cell spans lines, so the errors a chunk reports point at the file's own lines."""

from chalicelib.domain.visit_csv import parse_visits
from chalicelib.services.imports import _chunk_text, _records

FILE = ('patient_id,visit_date,department,external_id\r\n'
        'p1,2026-01-01,dermatology,A-1\r\n'
        '\r\n'
        'p2,2026-01-02,"derma\ntology",A-2\r\n'
        ',2026-01-03,dermatology,A-3\r\n')


def test_rows_keep_the_line_where_they_end_and_blank_lines_are_skipped():
    header, rows = _records(FILE)
    assert header == ["patient_id", "visit_date", "department", "external_id"]
    assert [line for line, _ in rows] == [2, 5, 6]
    assert rows[1][1][2] == "derma\ntology"


def test_a_chunk_maps_its_own_lines_back_to_the_files():
    header, rows = _records(FILE)
    lines = [line for line, _ in rows[1:]]
    text, ends = _chunk_text(header, [cells for _, cells in rows[1:]])
    parsed, errors = parse_visits(text, ("dermatology",))
    by_file_line = {lines[ends[e.line]]: e.code for e in errors}
    # the same errors, at the same lines, as the whole file parsed at once
    _, whole = parse_visits(FILE, ("dermatology",))
    assert by_file_line == {e.line: e.code for e in whole} == {5: "unknown_department", 6: "missing_patient"}
    assert parsed == []
