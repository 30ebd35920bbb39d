"""Rosters and the CSV files instructors exchange with spreadsheets (csvio, roster)."""

from __future__ import annotations

import csv
import io

import pytest

from course_utils.grading.course.csvio import (TableError, csv_text, format_points, parse_number, parse_table,
                                        read_table, safe_cell)
from course_utils.grading.course.roster import RosterError, compare_with_folders, parse_roster, read_roster

ROSTER = """folder,name,canvas_id,sis_user_id,sis_login_id,section,email,idnumber
ada,Ada Lovelace,101,S1,ada.l,A,ada@example.org,1001
alan,Alan Turing,102,S2,alan.t,A,Alan@Example.org,1002
"""


# ------------------------------------------------------------------ csvio


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_starting_like_a_formula_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


def test_ordinary_text_and_numbers_are_written_unchanged():
    assert [safe_cell("Ada"), safe_cell(7.5), safe_cell(-1.0), safe_cell(None)] == ["Ada", "7.5", "-1", ""]


@pytest.mark.parametrize("value, text", [(8.0, "8"), (7.5, "7.5"), (1 / 3, "0.33"), (-0.0, "0"), (1e-7, "0"),
                                         (123456.0, "123456")])
def test_points_are_plain_decimals_with_at_most_two_places(value, text):
    assert format_points(value) == text


def test_points_refuse_nan():
    with pytest.raises(ValueError, match="finite"):
        format_points(float("nan"))


def test_csv_text_ends_lines_in_crlf_and_quotes_commas():
    text = csv_text(["a", "b"], [["x, y", 1.5]])
    assert text == 'a,b\r\n"x, y",1.5\r\n'


def test_a_written_table_reads_back_unchanged():
    text = csv_text(["folder", "note"], [["=cmd", "-x"], ["ada", "a \"quoted\" word"]])
    rows = parse_table(text, "t").rows
    assert [(r["folder"], r["note"]) for r in rows] == [("=cmd", "-x"), ("ada", 'a "quoted" word')]


@pytest.mark.parametrize("text, value", [("7", 7.0), (" 7.5 ", 7.5), ("7,5", 7.5), ("-1", -1.0)])
def test_numbers_typed_by_people_are_read(text, value):
    assert parse_number(text, "points") == value


@pytest.mark.parametrize("text", ["seven", "", "inf", "nan", "7/10"])
def test_other_text_is_not_a_number_and_the_message_says_where(text):
    with pytest.raises(ValueError, match="line 4: points"):
        parse_number(text, "line 4: points")


def test_headers_are_matched_without_regard_to_case_spaces_and_dashes():
    table = parse_table("Folder , SIS Login-ID\nada,x\n", "t")
    assert table.columns == ["folder", "sis_login_id"]


def test_semicolon_separated_files_from_european_spreadsheets_are_read():
    table = parse_table("folder;points\nada;7,5\n", "t")
    assert table.rows[0]["points"] == "7,5"
    assert any("';'" in note for note in table.notes)


def test_a_duplicated_column_is_an_error_naming_it():
    with pytest.raises(TableError, match="columns 'folder' and 'folder' both mean 'folder'"):
        parse_table("folder,folder\na,b\n", "t")


def test_two_columns_that_mean_the_same_are_both_named():
    with pytest.raises(TableError, match="columns 'Student' and 'Full name' both mean 'name'"):
        parse_roster("folder,Student,Full name\nada,Ada,Ada Lovelace\n")


def test_a_row_with_more_cells_than_the_header_is_an_error_with_its_line():
    with pytest.raises(TableError, match="line 3: 3 cells"):
        parse_table("folder,name\nada,Ada\nalan,Alan,Turing\n", "t")


def test_utf8_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("\ufefffolder,name\nada,Zoë\n".encode("utf-8"))
    table = read_table(path)
    assert table.columns == ["folder", "name"] and table.rows[0]["name"] == "Zoë" and not table.notes


def test_utf16_from_excel_unicode_text_is_read(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("folder\tname\nada\tZoë\n".encode("utf-16"))
    assert read_table(path).rows[0]["name"] == "Zoë"


def test_windows_1252_is_read_with_a_note(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("folder,name\nada,Zoë\n".encode("cp1252"))
    table = read_table(path)
    assert table.rows[0]["name"] == "Zoë"
    assert "Windows-1252" in table.notes[0]


def test_a_spreadsheet_saved_as_xlsx_is_refused_with_advice(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(TableError, match="save it as CSV"):
        read_table(path)


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(TableError, match="no such file"):
        read_table(tmp_path / "absent.csv")


# ------------------------------------------------------------------ roster


def test_a_roster_maps_folders_to_identities():
    roster = parse_roster(ROSTER)
    assert roster.folders == ["ada", "alan"]
    assert roster.by_folder("alan").canvas_id == "102"
    assert roster.lookup("canvas_id", "101").folder == "ada"


def test_email_and_name_lookups_ignore_case_and_spacing():
    roster = parse_roster(ROSTER)
    assert roster.lookup("email", "alan@example.ORG").folder == "alan"
    assert roster.lookup("name", "  ada   LOVELACE ").folder == "ada"


def test_a_canvas_export_style_header_is_understood():
    roster = parse_roster("Student,ID,SIS User ID,SIS Login ID,Section,Folder\nLovelace, Ada,101,S1,ada.l,A,ada\n"
                          .replace("Lovelace, Ada", '"Lovelace, Ada"'))
    entry = roster.by_folder("ada")
    assert (entry.name, entry.canvas_id, entry.sis_login_id) == ("Lovelace, Ada", "101", "ada.l")


def test_a_roster_without_a_folder_column_is_refused_naming_the_columns_found():
    with pytest.raises(RosterError, match=r"no column 'folder'.*found: name, email"):
        parse_roster("name,email\nAda,a@x\n")


def test_two_students_in_one_folder_are_refused_with_both_lines():
    with pytest.raises(RosterError, match="line 3: folder 'ada' already belongs to the student on line 2"):
        parse_roster("folder,name\nada,Ada\nada,Ada Byron\n")


def test_a_shared_email_is_refused_whatever_its_case():
    with pytest.raises(RosterError, match="line 3: email"):
        parse_roster("folder,email\nada,a@x.org\nalan,A@X.org\n")


@pytest.mark.parametrize("folder, why", [("a/b", "slash"), ("../x", "starts with"), (".hidden", "starts with '.'"),
                                         ("a" * 101, "longer than 100")])
def test_unusable_folder_names_are_refused_with_the_reason(folder, why):
    with pytest.raises(RosterError, match=why):
        parse_roster(f"folder\n{folder}\n")


def test_a_canvas_id_must_be_canvas_s_number():
    with pytest.raises(RosterError, match="canvas_id 'ada.l' is not a number"):
        parse_roster("folder,canvas_id\nada,ada.l\n")


def test_every_problem_is_reported_at_once():
    with pytest.raises(RosterError) as info:
        parse_roster("folder,canvas_id\nada,x\nada,1\n")
    assert "line 2" in str(info.value) and "line 3" in str(info.value)


def test_a_header_without_students_is_refused():
    with pytest.raises(RosterError, match="no students"):
        parse_roster("folder,name\n")


def test_an_export_needing_a_column_names_the_students_without_it():
    roster = parse_roster("folder,canvas_id\nada,1\nalan,\n")
    with pytest.raises(RosterError, match="canvas_id for every student; missing for alan"):
        roster.require("canvas_id", "the Canvas export")


def test_folders_and_roster_are_compared_both_ways():
    roster = parse_roster(ROSTER)
    assert compare_with_folders(roster, ["ada", "grace"]) == (["grace"], ["alan"])


def test_read_roster_reads_a_file_and_names_it_in_errors(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("folder\nada\nada\n", encoding="utf-8")
    with pytest.raises(RosterError, match=str(path.name)):
        read_roster(path)


def test_csv_module_and_our_writer_agree_on_quoting():
    text = csv_text(["name"], [['Lovelace, "Ada"']])
    assert list(csv.reader(io.StringIO(text))) == [["name"], ['Lovelace, "Ada"']]


# ------------------------------------------------------------------ Canvas's own gradebook export as a roster

#: a Canvas gradebook export as Canvas writes it (lib/gradebook_exporter.rb): the header, the
#: "Manual Posting" row (an assignment posted by hand), "Points Possible", the students sorted
#: by sortable name, Canvas's test student last; read-only score columns at the end
CANVAS_EXPORT = ('Student,ID,SIS User ID,SIS Login ID,Section,Exercises 2 (7001),Capstone (7007),Current Score,'
                 'Final Score\r\n'
                 ',,,,,Manual Posting,,,\r\n'
                 '    Points Possible,,,,,10.00,20.00,(read only),(read only)\r\n'
                 '"Lovelace, Ada",101,S101,ada.l,A,8.00,N/A,80.00,26.67\r\n'
                 '"Descartes, René",109,S109,rene.d,B,,EX,0.00,0.00\r\n'
                 '"Student, Test",4242,,,A,,,,\r\n')


def test_a_canvas_gradebook_export_is_a_roster_as_it_is(tmp_path):
    path = tmp_path / "2025-03-08T1200_Grades-SCALING_101.csv"
    path.write_text(CANVAS_EXPORT, encoding="utf-8")
    roster = read_roster(path)
    assert [(e.folder, e.name, e.canvas_id, e.section) for e in roster] == [
        ("ada.l", "Lovelace, Ada", "101", "A"), ("rene.d", "Descartes, René", "109", "B")]


def test_the_rows_of_a_canvas_export_that_are_not_learners_are_skipped_with_a_note_each():
    notes = parse_roster(CANVAS_EXPORT, "grades.csv").notes
    assert notes == ["grades.csv: line 2: Canvas's 'Manual Posting' row, skipped",
                     "grades.csv: line 3: Canvas's 'Points Possible' row, skipped",
                     "grades.csv: line 6: Canvas's test student (Student, Test), skipped",
                     "grades.csv: no folder column, so each learner's folder is their SIS Login ID"]


def test_a_canvas_export_without_sis_logins_uses_the_canvas_id_and_a_folder_column_wins():
    without = CANVAS_EXPORT.replace("ada.l", "").replace("rene.d", "")
    assert parse_roster(without).folders == ["101", "109"]
    lines = CANVAS_EXPORT.split("\r\n")
    folders = ["folder", "", "", "ada", "rené", ""]  # a folder column added in a spreadsheet
    with_folders = "\r\n".join(f"{folder},{line}" for folder, line in zip(folders, lines))
    assert parse_roster(with_folders).folders == ["ada", "rené"]
