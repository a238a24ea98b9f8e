"""Small synthetic Lyceum warehouse, and a quick DataFusion-vs-DuckDB check of queries/.

Writes plausible, referentially consistent random rows for every star-schema table with the
exact schema.sql types (DECIMAL(p,s) -> decimal128, SMALLINT -> int16, DATE -> date32, ...)
as a warehouse laid out like Lyceum's:

    OUT/public/<table>/            Delta Lake table (deltalake.write_deltalake)
    OUT/_lyceum/versions/<v:020>.json   catalog manifest {"tables": {"public.t": {"delta_version": n}}}

Two catalog versions are written: version 1 (the first half of fact_attendance) and version 2
(all of it, appended as Delta version 1), so snapshot_files() version pinning is exercised.

Shape (seed 7): ~370 students, 27 courses, ~350 sections over 10 regular terms 2020FA..2025SP
plus 4 summers; Spring 2025 (202420) is in progress at as-of 2025-03-15 (no final grades,
attendance and assessments only up to as-of). SCD2 histories for students (major switches,
class level, standing, stop-outs, graduation) and instructors (promotions).

Usage:
    python tests/python/synth.py --out /tmp/synth_wh            # write the warehouse
    python tests/python/synth.py --out /tmp/synth_wh --check    # ... and run every query on
                                                                # python-DataFusion and DuckDB
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import random
import shutil
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle  # noqa: E402

D = dt.date
AS_OF = D(2025, 3, 15)
DATE_MIN, DATE_MAX = D(2020, 7, 1), D(2025, 6, 30)
FAR = D(9999, 12, 31)


def dec(x, places: int) -> Decimal:
    q = Decimal(1).scaleb(-places)
    return Decimal(str(x)).quantize(q, rounding=ROUND_HALF_UP)


def dkey(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def nth_weekday(year, month, weekday, n):
    d = D(year, month, 1)
    while d.weekday() != weekday:
        d += dt.timedelta(days=1)
    return d + dt.timedelta(weeks=n - 1)


def ay_of(d: dt.date) -> str:
    y = d.year if d.month >= 7 else d.year - 1
    return "%d-%02d" % (y, (y + 1) % 100)


GRADE_POINTS = {"A": "4.00", "A-": "3.70", "B+": "3.30", "B": "3.00", "B-": "2.70", "C+": "2.30",
                "C": "2.00", "C-": "1.70", "D+": "1.30", "D": "1.00", "D-": "0.70", "F": "0.00",
                "WF": "0.00"}
CUTS = [(93, "A"), (90, "A-"), (87, "B+"), (83, "B"), (80, "B-"), (77, "C+"), (73, "C"), (70, "C-"),
        (67, "D+"), (63, "D"), (60, "D-"), (-1, "F")]


def letter(score: float) -> str:
    for cut, g in CUTS:
        if score >= cut:
            return g
    return "F"


class Synth:
    def __init__(self, seed: int = 7, n_ftft: int = 40):
        self.r = random.Random(seed)
        self.n_ftft = n_ftft
        self.rows = {t: [] for t in oracle.STAR_TABLES}

    # ------------------------------------------------------------------ calendar
    def build_calendar(self):
        terms = []
        seq = 0
        for y in range(2020, 2025):
            fall_start = nth_weekday(y, 8, 0, 4)
            spring_start = nth_weekday(y + 1, 1, 0, 2)
            summer_start = nth_weekday(y + 1, 5, 0, 4)
            for kind, start, end, code, name in [
                ("FALL", fall_start, D(y, 12, 15), "%dFA" % y, "Fall %d" % y),
                ("SPRING", spring_start, D(y + 1, 5, 8), "%dSP" % (y + 1), "Spring %d" % (y + 1)),
                ("SUMMER", summer_start, D(y + 1, 7, 31), "%dSU" % (y + 1), "Summer %d" % (y + 1)),
            ]:
                seq += 1
                suffix = {"FALL": 10, "SPRING": 20, "SUMMER": 30}[kind]
                terms.append(dict(term_key=y * 100 + suffix, term_code=code, term_name=name,
                                  term_type=kind, academic_year="%d-%02d" % (y, (y + 1) % 100),
                                  term_seq=seq, start_date=start, end_date=end,
                                  census_date=start + dt.timedelta(days=20)))
        self.terms = terms
        self.term_by_key = {t["term_key"]: t for t in terms}
        self.rows["dim_term"] = terms
        holidays = set()
        for y in range(2020, 2026):
            holidays |= {D(y, 1, 1), D(y, 7, 4), D(y, 12, 25), nth_weekday(y, 9, 0, 1),
                         nth_weekday(y, 11, 3, 4), nth_weekday(y, 11, 3, 4) + dt.timedelta(days=1),
                         nth_weekday(y, 1, 0, 3)}
        self.holidays = holidays
        d = DATE_MIN
        self.date_term = {}
        while d <= DATE_MAX:
            term = next((t for t in terms if t["start_date"] <= d <= t["end_date"]), None)
            wk = None
            if term:
                wk = min(16, (d - term["start_date"]).days // 7 + 1)
                self.date_term[d] = (term["term_key"], wk)
            instr = bool(term) and d.weekday() < 5 and d not in holidays
            self.rows["dim_date"].append(dict(
                date_key=dkey(d), full_date=d, day_of_week=d.isoweekday(), day_name=d.strftime("%A"),
                week_of_year=d.isocalendar()[1], month_num=d.month, month_name=d.strftime("%B"),
                calendar_quarter=(d.month - 1) // 3 + 1, calendar_year=d.year, academic_year=ay_of(d),
                term_key=term["term_key"] if term else None, week_of_term=wk,
                is_instructional_day=instr, is_holiday=d in holidays))
            d += dt.timedelta(days=1)

    # ------------------------------------------------------------------ org
    def build_org(self):
        r = self.r
        depts = [("MATH", "Mathematics", "SCI", "College of Science", "STEM"),
                 ("BIOL", "Biology", "SCI", "College of Science", "STEM"),
                 ("ENGL", "English", "ART", "College of Arts and Letters", "HUMANITIES"),
                 ("HIST", "History", "ART", "College of Arts and Letters", "HUMANITIES"),
                 ("PSYC", "Psychology", "SOC", "College of Social Sciences", "SOCIAL_SCI"),
                 ("NURS", "Nursing", "HLT", "College of Health", "HEALTH")]
        for i, (code, name, cc, cn, div) in enumerate(depts, start=1):
            self.rows["dim_department"].append(dict(department_key=i, department_code=code,
                                                    department_name=name, college_code=cc,
                                                    college_name=cn, division=div))
        self.dept_key = {d[0]: i for i, d in enumerate(depts, start=1)}
        progs = [("BS-MATH", "Mathematics BS", "27.0101", "BACHELOR", "MATH", True, 8),
                 ("BS-BIOL", "Biology BS", "26.0101", "BACHELOR", "BIOL", True, 8),
                 ("BA-ENGL", "English BA", "23.0101", "BACHELOR", "ENGL", False, 8),
                 ("BA-HIST", "History BA", "54.0101", "BACHELOR", "HIST", False, 8),
                 ("BA-PSYC", "Psychology BA", "42.0101", "BACHELOR", "PSYC", False, 8),
                 ("BSN-NURS", "Nursing BSN", "51.3801", "BACHELOR", "NURS", False, 8),
                 ("AA-GENS", "General Studies AA", "24.0102", "ASSOCIATE", "ENGL", False, 4),
                 ("MS-MATH", "Applied Mathematics MS", "27.0301", "MASTER", "MATH", True, 4),
                 ("MA-PSYC", "Clinical Psychology MA", "42.2801", "MASTER", "PSYC", False, 4),
                 ("ND-NOND", "Non-degree", "00.0000", "CERT", "HIST", False, 2)]
        for i, (code, name, cip, lvl, dep, stem, ntt) in enumerate(progs, start=1):
            self.rows["dim_program"].append(dict(program_key=i, program_code=code, program_name=name,
                                                 cip_code=cip, degree_level=lvl,
                                                 department_key=self.dept_key[dep], is_stem=stem,
                                                 normal_time_terms=ntt))
        self.prog = {p["program_code"]: p for p in self.rows["dim_program"]}
        self.bachelor_codes = [p[0] for p in progs if p[3] == "BACHELOR"]
        courses = []
        k = 0
        for dep in self.dept_key:
            for num, title, cr, gateway, basis in [
                    ("1110", "Foundations of %s", "3.0", True, "LETTER"),
                    ("2100", "Intermediate %s", "3.0", False, "LETTER"),
                    ("3200", "Topics in %s", "3.0", False, "LETTER"),
                    ("4900", "Capstone in %s", "4.0", False, "LETTER")]:
                k += 1
                courses.append(self._course(k, dep, num, title % dep.title(), cr, gateway, basis))
        for dep, num, title, cr, basis in [("MATH", "5100", "Graduate Analysis", "3.0", "LETTER"),
                                            ("PSYC", "6200", "Graduate Seminar", "3.0", "LETTER"),
                                            ("ENGL", "1001", "First-Year Seminar", "1.0", "PASS_FAIL")]:
            k += 1
            courses.append(self._course(k, dep, num, title, cr, False, basis))
        self.rows["dim_course"] = courses
        self.courses = courses
        # instructors (SCD2: a few promotions on 2022-07-01 / 2023-07-01)
        ranks = ["LECTURER", "ASSISTANT", "ASSOCIATE", "FULL", "ADJUNCT", "TA"]
        ikey = 0
        self.instr_versions = {}  # instructor_id -> [(from, to, key, dept)]
        n = 0
        for dep, dkey_ in self.dept_key.items():
            for j in range(4):
                n += 1
                iid = "I%05d" % n
                rank = ranks[(n + j) % len(ranks)]
                fn, ln = "Pat%d" % n, "Lee%d" % n
                hire = D(2010 + n % 10, 8, 15)
                changes = [(hire, rank)]
                if rank in ("ASSISTANT", "ASSOCIATE") and r.random() < 0.6:
                    nxt = {"ASSISTANT": "ASSOCIATE", "ASSOCIATE": "FULL"}[rank]
                    changes.append((D(r.choice([2022, 2023]), 7, 1), nxt))
                vers = []
                for vi, (frm, rk) in enumerate(changes):
                    ikey += 1
                    to = changes[vi + 1][0] if vi + 1 < len(changes) else FAR
                    tenure = {"FULL": "TENURED", "ASSOCIATE": "TENURED", "ASSISTANT": "TENURE_TRACK"}.get(rk, "NON_TENURE")
                    fte = "1.00" if rk not in ("ADJUNCT", "TA") else "0.50"
                    self.rows["dim_instructor"].append(dict(
                        instructor_key=ikey, instructor_id=iid, first_name=fn, last_name=ln,
                        email="%s.%s@uni.edu" % (fn.lower(), ln.lower()), department_key=dkey_,
                        academic_rank=rk, tenure_status=tenure, fte=Decimal(fte), hire_date=hire,
                        effective_from=frm, effective_to=to, is_current=to == FAR,
                        row_hash=hashlib.sha256(("%s|%s|%s" % (dkey_, rk, fte)).encode()).hexdigest()))
                    vers.append((frm, to, ikey))
                self.instr_versions[iid] = (dkey_, vers)

    def _course(self, k, dep, num, title, cr, gateway, basis):
        lvl = int(num[0]) * 1000
        return dict(course_key=k, course_id="%s-%s" % (dep, num), subject_code=dep, course_number=num,
                    course_title=title, department_key=self.dept_key[dep], credit_hours=Decimal(cr),
                    course_level=lvl, level_group="LOWER_DIV" if lvl < 3000 else
                    ("UPPER_DIV" if lvl < 5000 else "GRADUATE"), is_gateway=gateway, grading_basis=basis)

    def instructor_key_at(self, iid, d):
        for frm, to, key in self.instr_versions[iid][1]:
            if frm <= d < to:
                return key
        return self.instr_versions[iid][1][0][2]

    # ------------------------------------------------------------------ sections
    def build_sections(self):
        r = self.r
        skey = 0
        self.sections_by_term = {}
        by_dept = {}
        for iid, (dk, _) in self.instr_versions.items():
            by_dept.setdefault(dk, []).append(iid)
        for t in self.terms:
            if t["start_date"] > AS_OF:
                continue
            secs = []
            for c in self.courses:
                if t["term_type"] == "SUMMER":
                    if not (c["is_gateway"] and c["department_key"] <= 4):
                        continue
                    n = 1
                else:
                    n = 2 if c["is_gateway"] else 1
                for sn in range(1, n + 1):
                    skey += 1
                    iid = r.choice(by_dept[c["department_key"]])
                    ik = None if (skey % 17 == 0) else self.instructor_key_at(iid, t["start_date"])
                    mode = ["IN_PERSON", "IN_PERSON", "ONLINE", "HYBRID"][(skey + sn) % 4]
                    s = dict(section_key=skey, section_id="%s-%03d-%s" % (c["course_id"], sn, t["term_code"]),
                             course_key=c["course_key"], term_key=t["term_key"], section_number="%03d" % sn,
                             primary_instructor_key=ik, delivery_mode=mode,
                             campus="ONLINE" if mode == "ONLINE" else "MAIN",
                             capacity=120 if c["is_gateway"] else 40, meetings_per_week=[2, 3, 1][skey % 3],
                             takes_attendance=(mode != "ONLINE") and (skey % 5 != 0))
                    self.rows["dim_section"].append(s)
                    secs.append((s, c))
            self.sections_by_term[t["term_key"]] = secs

    # ------------------------------------------------------------------ students
    def build_students(self):
        r = self.r
        regular = [t for t in self.terms if t["term_type"] != "SUMMER" and t["start_date"] <= AS_OF]
        self.regular = regular
        people = []
        sid = 0

        def new(entry, etype, program, level, needed):
            nonlocal sid
            sid += 1
            people.append(dict(student_id="S%07d" % sid, entry=entry, entry_type=etype,
                               program=program, level=level, needed=needed,
                               ability=r.gauss(0, 1), first_gen=r.random() < 0.35,
                               pell=r.random() < 0.4, gender=r.choice(["FEMALE", "MALE", "NONBINARY"]),
                               eth=r.choice(["WHITE", "HISPANIC", "BLACK", "ASIAN", "TWO_OR_MORE"]),
                               disability=r.random() < 0.08,
                               residency=r.choice(["IN_STATE", "IN_STATE", "OUT_OF_STATE", "INTERNATIONAL"])))
        for t in regular:
            if t["term_type"] == "FALL":
                for _ in range(self.n_ftft):
                    assoc = r.random() < 0.1
                    new(t, "FIRST_TIME", "AA-GENS" if assoc else r.choice(self.bachelor_codes), "FR",
                        4 if assoc else r.choice([8, 8, 8, 9, 10]))
                for _ in range(8):
                    new(t, "GRADUATE", r.choice(["MS-MATH", "MA-PSYC"]), "GR", r.choice([4, 4, 5]))
            n_tr = 40 if t["term_key"] == 202010 else 8
            for _ in range(n_tr):
                new(t, "TRANSFER", r.choice(self.bachelor_codes), r.choice(["SO", "JR", "JR", "SR"]),
                    r.choice([3, 4, 4, 5, 6]))
            for _ in range(2):
                new(t, "NON_DEGREE", "ND-NOND", "FR", 99)
        self.people = people

    # ------------------------------------------------------------------ simulation
    def simulate(self):
        r = self.r
        student_key = 0
        enr_id = perf_id = resp_id = degree_id = 0
        regular_keys = [t["term_key"] for t in self.regular]
        in_progress = max(t["term_key"] for t in self.terms if t["start_date"] <= AS_OF)
        assess_plan = [("HOMEWORK", w, "10.00", "4.00") for w in (2, 4, 6, 10, 12, 14)] + \
                      [("QUIZ", w, "20.00", "4.00") for w in (3, 7, 11)] + \
                      [("MIDTERM", 8, "100.00", "20.00"), ("PROJECT", 13, "50.00", "14.00"),
                       ("FINAL_EXAM", 16, "100.00", "30.00")]
        survey_ids = {}
        sst = self.rows["fact_student_term"]

        for p in self.people:
            versions = []  # dicts of tracked state with effective_from

            def change(when, **kw):
                state = dict(versions[-1]["state"]) if versions else {}
                state.update(kw)
                if versions and state == versions[-1]["state"]:
                    return
                if versions and versions[-1]["from"] == when:
                    versions[-1]["state"] = state
                    return
                versions.append({"from": when, "state": state})

            entry = p["entry"]
            cohort = entry["term_key"] if (p["entry_type"] == "FIRST_TIME" and entry["term_type"] == "FALL") else None
            change(entry["start_date"] - dt.timedelta(days=60), program=p["program"], level=p["level"],
                   standing="GOOD", status="ACTIVE", address="%d Elm St" % r.randint(1, 999))
            p["cohort"] = cohort
            p["versions"] = versions
            enrolled_terms = 0
            cum_qp = Decimal("0")
            cum_gc = Decimal("0")
            cum_earned = Decimal("0") if p["level"] in ("FR", "GR") else Decimal({"SO": "30.0", "JR": "60.0", "SR": "90.0"}[p["level"]])
            active = True
            graduated = False
            stopped = False
            idx0 = regular_keys.index(entry["term_key"])
            for ti in range(idx0, len(regular_keys)):
                tkey = regular_keys[ti]
                term = self.term_by_key[tkey]
                if graduated:
                    break
                if not active:
                    if r.random() < 0.25:
                        active = True
                    else:
                        continue
                if ti > idx0:
                    stop_p = 0.06 + (0.08 if p["ability"] < -1 else 0) + (0.5 if p["entry_type"] == "NON_DEGREE" else 0)
                    if r.random() < stop_p:
                        active = False
                        stopped = True
                        change(term["start_date"], status="STOPPED_OUT")
                        continue
                # term-start changes
                lvl = p["level"] if p["level"] == "GR" else (
                    "FR" if cum_earned < 30 else "SO" if cum_earned < 60 else "JR" if cum_earned < 90 else "SR")
                prog = versions[-1]["state"]["program"]
                if p["entry_type"] == "FIRST_TIME" and enrolled_terms in (1, 2, 3) and prog != "AA-GENS" and r.random() < 0.12:
                    prog = r.choice([c for c in self.bachelor_codes if c != prog])
                standing = "GOOD"
                if cum_gc > 0 and cum_qp / cum_gc < Decimal("2.0"):
                    standing = "WARNING" if versions[-1]["state"]["standing"] == "GOOD" else "PROBATION"
                kw = dict(level=lvl, program=prog, standing=standing, status="ACTIVE")
                if r.random() < 0.05:
                    kw["address"] = "%d Oak Ave" % r.randint(1, 999)
                if ti > idx0:
                    change(term["start_date"], **kw)
                enrolled_terms += 1
                for t2 in ([term] + ([self.term_by_key[tkey + 10]] if term["term_type"] == "SPRING"
                                     and (tkey + 10) in self.sections_by_term and r.random() < 0.15 else [])):
                    res = self._enroll_term(p, t2, lvl, in_progress, assess_plan, survey_ids,
                                            counters=[enr_id, perf_id, resp_id])
                    enr_id, perf_id, resp_id = res["counters"]
                    if not res["enrollments"]:
                        continue
                    qp, gc, att, earned = res["qp"], res["gc"], res["attempted"], res["earned"]
                    cum_qp += qp
                    cum_gc += gc
                    cum_earned += earned
                    sst.append(dict(student_id=p["student_id"], student_key=None, term_key=t2["term_key"],
                                    _census=t2["census_date"], class_level=lvl,
                                    is_full_time=att >= (9 if lvl == "GR" else 12),
                                    credits_attempted=dec(att, 1), credits_earned=dec(earned, 1),
                                    term_quality_points=dec(qp, 2), term_gpa_credits=dec(gc, 1),
                                    term_gpa=dec(qp / gc, 2) if gc > 0 else None,
                                    cum_gpa=dec(cum_qp / cum_gc, 2) if cum_gc > 0 else None,
                                    cum_credits_earned=dec(cum_earned, 1), academic_standing=standing))
                # graduation at the end of this regular term
                if tkey != in_progress and enrolled_terms >= p["needed"] and p["entry_type"] != "NON_DEGREE":
                    graduated = True
                    prog_row = self.prog[versions[-1]["state"]["program"]]
                    degree_id += 1
                    gpa = cum_qp / cum_gc if cum_gc > 0 else Decimal("2.0")
                    conf = term["end_date"]
                    self.rows["fact_degree"].append(dict(
                        degree_id=degree_id, student_id=p["student_id"], student_key=None, _date=conf,
                        program_key=prog_row["program_key"], conferral_term_key=tkey,
                        conferral_date_key=dkey(conf), degree_level=prog_row["degree_level"],
                        final_cum_gpa=dec(gpa, 2),
                        honors="SUMMA CUM LAUDE" if gpa >= Decimal("3.9") else ("CUM LAUDE" if gpa >= Decimal("3.5") else None)))
                    change(conf + dt.timedelta(days=1), status="GRADUATED")
            # materialise SCD2 versions
            first = {}
            for vi, v in enumerate(versions):
                student_key += 1
                st = v["state"]
                to = versions[vi + 1]["from"] if vi + 1 < len(versions) else FAR
                prog_row = self.prog[st["program"]]
                row = dict(student_key=student_key, student_id=p["student_id"],
                           first_name="Stu%s" % p["student_id"][-4:], last_name="Dent", preferred_name=None,
                           email="%s@students.uni.edu" % p["student_id"].lower(), phone=None,
                           birth_date=D(2002 - (0 if p["level"] == "FR" else 3), 1 + int(p["student_id"][-2:]) % 12, 15),
                           address_line1=st["address"], city="Springfield", postal_code="12345",
                           gender=p["gender"], ethnicity=p["eth"], is_first_generation=p["first_gen"],
                           is_pell_recipient=p["pell"], has_disability=p["disability"], residency=p["residency"],
                           entry_type=p["entry_type"], entry_term_key=entry["term_key"],
                           ipeds_cohort_term_key=p["cohort"],
                           hs_gpa=dec(max(2.0, min(4.0, 3.2 + 0.4 * p["ability"])), 2) if p["entry_type"] == "FIRST_TIME" else None,
                           program_key=prog_row["program_key"], class_level=st["level"],
                           academic_standing=st["standing"], enrollment_status=st["status"],
                           advisor_instructor_id="I%05d" % (1 + len(p["student_id"]) % 20),
                           effective_from=v["from"], effective_to=to, is_current=to == FAR,
                           version_no=vi + 1, row_hash=hashlib.sha256(json.dumps(st, sort_keys=True).encode()).hexdigest(),
                           etl_batch_id=1)
                self.rows["dim_student"].append(row)
            self._student_versions = None
        self._resolve_student_keys()

    def _enroll_term(self, p, term, lvl, in_progress, assess_plan, survey_ids, counters):
        r = self.r
        enr_id, perf_id, resp_id = counters
        tkey = term["term_key"]
        secs = self.sections_by_term.get(tkey, [])
        is_summer = term["term_type"] == "SUMMER"
        if lvl == "GR":
            pool = [(s, c) for s, c in secs if c["course_level"] >= 5000]
            k = 3
        else:
            pool = [(s, c) for s, c in secs if c["course_level"] < 5000]
            k = 1 if is_summer else (4 if r.random() < 0.85 else 2)
        weights = []
        for s, c in pool:
            w = 1.0
            if c["is_gateway"]:
                w = 4.0 if lvl in ("FR", "SO") else 0.6
            elif c["course_level"] >= 3000 and lvl in ("FR",):
                w = 0.3
            elif c["course_level"] >= 3000 and lvl in ("JR", "SR"):
                w = 2.0
            weights.append(w)
        chosen = []
        seen_courses = set()
        tries = 0
        while len(chosen) < min(k, len(pool)) and tries < 200:
            tries += 1
            s, c = r.choices(pool, weights)[0]
            if c["course_key"] in seen_courses:
                continue
            seen_courses.add(c["course_key"])
            chosen.append((s, c))
        declining = (tkey == in_progress and r.random() < 0.18) or r.random() < 0.04
        term_shock = r.gauss(0, 4) - (15 if r.random() < 0.05 else 0)
        qp = gc = attempted = earned = Decimal("0")
        made = 0
        for s, c in chosen:
            enr_id += 1
            made += 1
            cr = c["credit_hours"]
            reg = term["start_date"] - dt.timedelta(days=r.randint(10, 40))
            status, grade, drop = "COMPLETED", None, None
            u = r.random()
            if u < 0.05:
                status, drop = "DROPPED", term["start_date"] + dt.timedelta(days=r.randint(1, 10))
            att_p = max(0.3, min(0.99, 0.88 + 0.05 * p["ability"] - (0.3 if declining else 0)))
            base = 83 + 8 * p["ability"] + 25 * (att_p - 0.88) + term_shock
            in_prog = tkey == in_progress
            if in_prog and status != "DROPPED":
                status = "ENROLLED"
            # attendance
            if s["takes_attendance"] and status != "DROPPED":
                days = {2: (1, 3), 3: (0, 2, 4), 1: (2,)}[s["meetings_per_week"]]
                d = term["start_date"]
                while d <= min(term["end_date"], AS_OF):
                    if d.weekday() in days and d not in self.holidays:
                        wk = (d - term["start_date"]).days // 7 + 1
                        pp = att_p - (0.02 * wk if declining else 0)
                        u2 = r.random()
                        if u2 < pp:
                            stt = "T" if r.random() < 0.08 else "P"
                        else:
                            stt = "E" if r.random() < 0.2 else "A"
                        self.rows["fact_attendance"].append(dict(
                            student_key=None, _date=d, student_id=p["student_id"], section_key=s["section_key"],
                            course_key=c["course_key"], term_key=tkey, date_key=dkey(d), attendance_status=stt,
                            is_present=stt in ("P", "T"), minutes_late=r.randint(1, 15) if stt == "T" else None))
                    d += dt.timedelta(days=1)
            # assessments
            weighted = Decimal("0")
            if status != "DROPPED":
                for ai, (atype, wk, mx, wt) in enumerate(assess_plan):
                    if is_summer and wk > 10:
                        continue
                    due = term["start_date"] + dt.timedelta(days=(wk - 1) * 7 + 4)
                    if due > AS_OF or due > term["end_date"]:
                        continue
                    perf_id += 1
                    miss_p = 0.04 + (0.25 if declining else 0) + (0.05 if p["ability"] < -1 else 0)
                    missing = r.random() < miss_p
                    trend = -2.5 * max(0, wk - 4) if declining else 0
                    maxs = Decimal(mx)
                    if missing:
                        score = pct = None
                        sub = None
                        late = False
                    else:
                        pc = max(0.0, min(100.0, base + trend + r.gauss(0, 8)))
                        score = dec(float(maxs) * pc / 100, 2)
                        pct = dec(100 * score / maxs, 2)
                        late = r.random() < 0.1
                        sub = due + dt.timedelta(days=r.randint(1, 3) if late else -r.randint(0, 2))
                        weighted += pct * Decimal(wt)
                    self.rows["fact_performance"].append(dict(
                        performance_id=perf_id, enrollment_id=enr_id, student_key=None, _date=reg,
                        student_id=p["student_id"], section_key=s["section_key"], course_key=c["course_key"],
                        term_key=tkey, assessment_id=s["section_key"] * 100 + ai + 1, assessment_type=atype,
                        due_date_key=dkey(due), submitted_date_key=dkey(sub) if sub else None,
                        week_of_term=wk, score=score, max_score=maxs, score_pct=pct, weight_pct=Decimal(wt),
                        is_late=late, is_missing=missing, attempt_no=1))
            final_pct = None
            if status == "COMPLETED":
                tot_w = sum(Decimal(a[3]) for a in assess_plan if not (is_summer and a[1] > 10))
                final_pct = dec(weighted / tot_w, 2)
                u3 = r.random()
                if c["grading_basis"] == "PASS_FAIL":
                    grade = "P" if final_pct >= 60 else "NP"
                elif u3 < 0.04:
                    grade, status = "W", "WITHDRAWN"
                elif u3 < 0.05:
                    grade, status = "WF", "WITHDRAWN"
                elif u3 < 0.055:
                    grade = "I"
                else:
                    grade = letter(float(final_pct))
            gp = Decimal(GRADE_POINTS[grade]) if grade in GRADE_POINTS else None
            eligible = grade in GRADE_POINTS
            is_dfw = grade in ("D+", "D", "D-", "F", "W", "WF")
            is_pass = grade is not None and (grade in ("P",) or (grade in GRADE_POINTS and grade not in ("F", "WF")))
            earned_cr = cr if is_pass else Decimal("0.0")
            if status != "DROPPED":
                attempted += cr
            earned += earned_cr
            if eligible:
                qp += gp * cr
                gc += cr
            instr_key = s["primary_instructor_key"]
            self.rows["fact_enrollment"].append(dict(
                enrollment_id=enr_id, student_key=None, _date=reg, student_id=p["student_id"],
                section_key=s["section_key"], course_key=c["course_key"], term_key=tkey,
                department_key=c["department_key"], instructor_key=instr_key, registration_date_key=dkey(reg),
                drop_date_key=dkey(drop) if drop else None, enrollment_status=status,
                credit_hours_attempted=cr, credit_hours_earned=earned_cr, final_grade=grade, grade_points=gp,
                final_score_pct=final_pct, is_gpa_eligible=eligible, is_dfw=is_dfw, is_pass=is_pass,
                is_repeat=r.random() < 0.02, etl_batch_id=1))
            # course evaluation
            if status in ("COMPLETED", "WITHDRAWN") and grade not in ("W", "WF") and r.random() < 0.35:
                resp_id += 1
                sv = survey_ids.setdefault((tkey, "COURSE_EVAL"), len(survey_ids) + 1)
                overall = max(1, min(5, round(3.6 + 0.5 * p["ability"] + r.gauss(0, 0.9))))
                rating = lambda: None if r.random() < 0.05 else max(1, min(5, overall + r.choice([-1, 0, 0, 1])))  # noqa: E731
                senti = round(max(-1.0, min(1.0, (overall - 3) * 0.35 + r.gauss(0, 0.25))), 4)
                label = "NEGATIVE" if senti < -0.05 else ("POSITIVE" if senti > 0.05 else "NEUTRAL")
                sub = term["end_date"] - dt.timedelta(days=r.randint(0, 10))
                self.rows["fact_feedback"].append(dict(
                    response_id=resp_id, survey_id=sv, survey_type="COURSE_EVAL",
                    respondent_token=hashlib.sha256(("k|" + p["student_id"]).encode()).hexdigest(),
                    student_key=None, section_key=s["section_key"], course_key=c["course_key"],
                    instructor_key=s["primary_instructor_key"], term_key=tkey, submitted_date_key=dkey(sub),
                    overall_rating=None if r.random() < 0.04 else overall, instructor_rating=rating(),
                    course_rating=rating(), workload_rating=rating(),
                    answers_json=json.dumps({"q1": overall, "q2": "agree" if overall >= 4 else "neutral",
                                             "recommend": overall >= 4}),
                    comment_text=r.choice(["Great pacing.", "Too much homework.", "Clear lectures.", None]),
                    sentiment_score=senti, sentiment_label=label, sentiment_model="lexicon-v1",
                    language_code="en"))
        if made and tkey != in_progress and r.random() < 0.1:
            resp_id += 1
            sv = survey_ids.setdefault((tkey, "STUDENT_EXPERIENCE"), len(survey_ids) + 1)
            self.rows["fact_feedback"].append(dict(
                response_id=resp_id, survey_id=sv, survey_type="STUDENT_EXPERIENCE",
                respondent_token=hashlib.sha256(("k|" + p["student_id"]).encode()).hexdigest(),
                student_key=None, _sid=p["student_id"], _date=term["end_date"], section_key=None, course_key=None,
                instructor_key=None, term_key=tkey, submitted_date_key=dkey(term["end_date"] - dt.timedelta(days=3)),
                overall_rating=r.randint(1, 5), instructor_rating=None, course_rating=None, workload_rating=None,
                answers_json=json.dumps({"belonging": r.randint(1, 5)}), comment_text=None,
                sentiment_score=round(r.uniform(-1, 1), 4), sentiment_label="NEUTRAL",
                sentiment_model="lexicon-v1", language_code="en"))
        return dict(enrollments=made, qp=qp, gc=gc, attempted=attempted, earned=earned,
                    counters=[enr_id, perf_id, resp_id])

    def _resolve_student_keys(self):
        by_sid = {}
        for v in self.rows["dim_student"]:
            by_sid.setdefault(v["student_id"], []).append(v)

        def key_at(sid, d):
            vs = by_sid[sid]
            for v in vs:
                if v["effective_from"] <= d < v["effective_to"]:
                    return v
            return vs[0] if d < vs[0]["effective_from"] else vs[-1]

        for t in ("fact_enrollment", "fact_performance", "fact_attendance"):
            for row in self.rows[t]:
                row["student_key"] = key_at(row["student_id"], row.pop("_date"))["student_key"]
        for row in self.rows["fact_student_term"]:
            v = key_at(row["student_id"], row.pop("_census"))
            row["student_key"] = v["student_key"]
            row["program_key"] = v["program_key"]
        for row in self.rows["fact_degree"]:
            row["student_key"] = key_at(row["student_id"], row.pop("_date"))["student_key"]
        for row in self.rows["fact_feedback"]:
            if "_sid" in row:
                row["student_key"] = key_at(row.pop("_sid"), row.pop("_date"))["student_key"]

    def build(self):
        self.build_calendar()
        self.build_org()
        self.build_sections()
        self.build_students()
        self.simulate()
        return self.rows


def write_warehouse(rows, out: Path, partition_attendance: bool = True):
    """Delta tables under out/public/ plus two catalog manifests (see the module doc).
    fact_attendance is partitioned by term_key (hive-style directories, the partition column
    is not stored in the Parquet files) unless partition_attendance is False."""
    import pyarrow as pa
    from deltalake import write_deltalake

    schema = oracle.parse_schema_sql()
    if out.exists():
        shutil.rmtree(out)
    (out / "_lyceum" / "versions").mkdir(parents=True)
    delta_versions = {}
    for table, cols in schema.items():
        sch = oracle.arrow_schema(cols)
        data = rows.get(table, [])
        path = str(out / "public" / table)
        if table == "fact_attendance":
            half = len(data) // 2
            part = ["term_key"] if partition_attendance else None
            write_deltalake(path, pa.Table.from_pylist(data[:half], schema=sch), mode="error",
                            partition_by=part)
            write_deltalake(path, pa.Table.from_pylist(data[half:], schema=sch), mode="append",
                            partition_by=part)
            delta_versions[table] = (0, 1)
        else:
            write_deltalake(path, pa.Table.from_pylist(data, schema=sch), mode="error")
            delta_versions[table] = (0, 0)
    for version, idx in ((1, 0), (2, 1)):
        manifest = {"format_version": 1, "version": version, "parent": version - 1,
                    "operation": "load", "summary": "synthetic warehouse (tests/python/synth.py)",
                    "tables": {"public." + t: {"delta_version": dv[idx], "rows": None}
                               for t, dv in delta_versions.items()}}
        oracle.manifest_path(out, version).write_text(json.dumps(manifest, indent=1))


def check(out: Path, verbose: bool = False) -> int:
    files = oracle.snapshot_files(out)
    con = oracle.duckdb_connection(files)
    df = oracle.DataFusionRunner(files)
    failures = 0
    queries = oracle.load_queries()
    for q in queries:
        problem = None
        exp = act = None
        try:
            exp = oracle.run_duckdb(con, q.sql)
        except Exception as e:  # noqa: BLE001
            problem = "duckdb error: %s" % e
        try:
            act = df.run(q.sql)
        except Exception as e:  # noqa: BLE001
            problem = (problem + "\n" if problem else "") + "datafusion error: %s" % e
        if problem is None:
            problem = oracle.compare(exp, act, "duckdb", "datafusion")
            if problem is None and not exp.rows:
                problem = "no rows"
        print("%-42s %-8s rows=%-6s duckdb=%.3fs datafusion=%.3fs" % (
            q.name, "ok" if problem is None else "FAIL", len(exp.rows) if exp else "-",
            exp.seconds if exp else math.nan, act.seconds if act else math.nan))
        if verbose and exp is not None and problem is None:
            for row in exp.rows[:5]:
                print("      ", row)
        if problem:
            failures += 1
            print("    " + problem.replace("\n", "\n    "))
    print("%d passed, %d failed" % (len(queries) - failures, failures))
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="write a small synthetic Lyceum warehouse")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--check", action="store_true",
                    help="run queries/*.sql on python-DataFusion and DuckDB and compare")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--no-partition", action="store_true",
                    help="do not partition fact_attendance by term_key")
    args = ap.parse_args(argv)
    rows = Synth(args.seed).build()
    write_warehouse(rows, args.out, partition_attendance=not args.no_partition)
    print("wrote %s: %s" % (args.out, ", ".join("%s=%d" % (t, len(v)) for t, v in rows.items())))
    if args.check:
        return check(args.out, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
