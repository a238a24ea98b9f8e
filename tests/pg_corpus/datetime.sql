-- to_char on term start dates with ISO, abbreviated and fill-mode long templates
SELECT term_code,
       to_char(start_date, 'YYYY-MM-DD') AS start_iso,
       to_char(start_date, 'Dy, DD Mon YYYY') AS start_short,
       to_char(start_date, 'FMDay, FMMonth FMDD, YYYY') AS start_long
FROM dim_term
ORDER BY term_code;

-- to_char ordinal suffixes, day-of-year and quarter of each census date
SELECT term_name,
       to_char(census_date, 'FMDDth "of" FMMonth'),
       to_char(census_date, 'DDD'),
       to_char(census_date, 'Q'),
       to_char(census_date, 'FMMMth')
FROM dim_term
ORDER BY term_key;

-- ISO year/week/day labels around the 2020-21 new year versus the dim_date week column
SELECT full_date,
       to_char(full_date, 'IYYY-"W"IW-ID') AS iso_week_label,
       to_char(full_date, 'YYYY "wk" WW') AS simple_week_label,
       week_of_year
FROM dim_date
WHERE full_date BETWEEN DATE '2020-12-26' AND DATE '2021-01-11'
ORDER BY full_date;

-- Non-fill-mode Month and Day names are blank-padded to nine characters
SELECT month_num,
       to_char(min(full_date), 'Month'),
       to_char(min(full_date), 'MON'),
       '[' || to_char(min(full_date), 'Day') || ']',
       min(month_name)
FROM dim_date
WHERE calendar_year = 2023
GROUP BY month_num
ORDER BY month_num;

-- First class meeting timestamps of each fall term formatted with 24h and 12h clocks
SELECT term_code,
       start_date + TIME '08:30' AS first_meeting,
       to_char(start_date + TIME '08:30', 'YYYY-MM-DD HH24:MI:SS') AS meeting_24h,
       to_char(start_date + TIME '13:45', 'HH12:MI AM Dy') AS afternoon_12h,
       to_char(start_date + TIME '13:45:30.25', 'HH24:MI:SS.MS') AS with_millis
FROM dim_term
WHERE term_type = 'FALL'
ORDER BY term_code;

-- Data-quality check: date_key parsed with to_date must equal full_date
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE to_date(date_key::text, 'YYYYMMDD') <> full_date) AS mismatches
FROM dim_date;

-- Fiscal year start derived from the academic_year label with to_date
SELECT academic_year,
       to_date(left(academic_year, 4) || '-07-01', 'YYYY-MM-DD') AS fiscal_start,
       to_date('30 Jun ' || (left(academic_year, 4)::int + 1), 'DD Mon YYYY') AS fiscal_end,
       count(*) AS terms
FROM dim_term
GROUP BY academic_year
ORDER BY academic_year;

-- to_timestamp parsing of date_key plus a clock time, cast to timestamp without time zone
SELECT date_key,
       to_timestamp(date_key::text || ' 0915', 'YYYYMMDD HH24MI')::timestamp,
       to_timestamp(to_char(full_date, 'DD/MM/YYYY') || ' 17:05:09', 'DD/MM/YYYY HH24:MI:SS')::timestamp
FROM dim_date
WHERE date_key IN (20230828, 20240115, 20240526)
ORDER BY date_key;

-- to_number on course numbers and term codes
SELECT c.course_id,
       to_number(c.course_number, '9999') AS course_num,
       to_number(left(t.term_code, 4), '9999') AS term_year,
       to_number('1,234.50', '9G999D99') AS formatted_number
FROM dim_section s
JOIN dim_course c ON c.course_key = s.course_key
JOIN dim_term t ON t.term_key = s.term_key
WHERE s.section_id LIKE 'MATH-%-001-2023FA'
ORDER BY c.course_id;

-- Add/drop deadline (start + 7 days) and length of each term in days (date - date)
SELECT term_code,
       start_date + 7 AS add_drop_deadline,
       end_date - start_date AS term_days,
       (end_date - start_date) / 7 AS full_weeks,
       end_date - 14 AS finals_prep_start
FROM dim_term
ORDER BY term_code;

-- Days between census date and term start, averaged by term type
SELECT term_type,
       min(census_date - start_date),
       max(census_date - start_date),
       avg(census_date - start_date)
FROM dim_term
GROUP BY term_type
ORDER BY term_type;

-- date + interval yields timestamps: end of week 15 and one month after start
SELECT term_code,
       start_date + INTERVAL '15 weeks' AS week15_end,
       start_date + INTERVAL '1 month' AS one_month_in,
       census_date - INTERVAL '36 hours' AS census_eve
FROM dim_term
WHERE academic_year = '2023-24'
ORDER BY term_code;

-- timestamp - timestamp gives an interval between first and last class meeting
SELECT term_code,
       (end_date + TIME '17:00') - (start_date + TIME '08:00'),
       (census_date + TIME '23:59:59') - (start_date + TIME '00:00')
FROM dim_term
WHERE term_type = 'SPRING'
ORDER BY term_code;

-- Weekly contact time per delivery mode as summed intervals
SELECT delivery_mode,
       count(*) AS sections,
       sum(INTERVAL '50 minutes' * meetings_per_week) AS weekly_contact_time,
       max(INTERVAL '50 minutes' * meetings_per_week) AS max_section_time
FROM dim_section
WHERE term_key = 202310
GROUP BY delivery_mode
ORDER BY delivery_mode;

-- Average term length as an interval, per term type
SELECT term_type,
       avg(end_date::timestamp - start_date::timestamp),
       justify_days(avg(end_date::timestamp - start_date::timestamp)),
       sum(end_date::timestamp - start_date::timestamp)
FROM dim_term
GROUP BY term_type
ORDER BY term_type;

-- Consistency of dim_date attributes with extract(): mismatches per field
SELECT count(*) FILTER (WHERE extract(year FROM full_date) <> calendar_year) AS year_mismatch,
       count(*) FILTER (WHERE extract(month FROM full_date) <> month_num) AS month_mismatch,
       count(*) FILTER (WHERE extract(isodow FROM full_date) <> day_of_week) AS isodow_mismatch,
       count(*) FILTER (WHERE extract(quarter FROM full_date) <> calendar_quarter) AS quarter_mismatch,
       count(*) FILTER (WHERE extract(week FROM full_date) <> week_of_year) AS week_mismatch
FROM dim_date;

-- extract fields of each term start date
SELECT term_code,
       extract(year FROM start_date),
       extract(month FROM start_date),
       extract(day FROM start_date),
       extract(dow FROM start_date),
       extract(isodow FROM start_date),
       extract(doy FROM start_date),
       extract(week FROM start_date),
       extract(quarter FROM start_date)
FROM dim_term
ORDER BY term_code;

-- date_part variants (double precision results) on census dates
SELECT term_code,
       date_part('year', census_date) AS yr,
       date_part('doy', census_date) AS day_of_year,
       date_part('dow', census_date) AS dow,
       date_part('epoch', census_date) AS epoch_seconds
FROM dim_term
WHERE term_type = 'FALL'
ORDER BY term_code;

-- Epoch arithmetic: seconds and days of instruction time per term
SELECT term_code,
       extract(epoch FROM end_date::timestamp - start_date::timestamp) AS term_seconds,
       extract(epoch FROM end_date::timestamp - start_date::timestamp) / 86400 AS term_days,
       extract(epoch FROM start_date + TIME '08:00') AS start_epoch
FROM dim_term
ORDER BY term_code;

-- Attendance records by day of week (date_part dow) for Fall 2023
SELECT date_part('dow', d.full_date),
       min(d.day_name),
       count(*),
       sum(CASE WHEN a.is_present THEN 1 ELSE 0 END)
FROM fact_attendance a
JOIN dim_date d ON d.date_key = a.date_key
WHERE a.term_key = 202310
GROUP BY date_part('dow', d.full_date)
ORDER BY 1;

-- Monthly attendance rate in Fall 2023 using date_trunc('month') on timestamps
SELECT date_trunc('month', d.full_date::timestamp) AS month_start,
       count(*) AS records,
       round(100.0 * avg(CASE WHEN a.is_present THEN 1 ELSE 0 END), 2) AS present_pct
FROM fact_attendance a
JOIN dim_date d ON d.date_key = a.date_key
WHERE a.term_key = 202310
GROUP BY date_trunc('month', d.full_date::timestamp)
ORDER BY month_start;

-- Weekly registrations before the Fall 2024 term, bucketed with date_trunc('week') cast to date
SELECT date_trunc('week', d.full_date)::date,
       count(*),
       count(DISTINCT e.student_id)
FROM fact_enrollment e
JOIN dim_date d ON d.date_key = e.registration_date_key
WHERE e.term_key = 202410
GROUP BY 1
ORDER BY 1;

-- Instructor hires per calendar year using date_trunc('year')
SELECT date_trunc('year', hire_date::timestamp) AS hire_year,
       count(DISTINCT instructor_id) AS hires
FROM dim_instructor
WHERE is_current
GROUP BY date_trunc('year', hire_date::timestamp)
ORDER BY hire_year;

-- Degree conferrals by quarter using date_trunc('quarter') and a YYYY"Q"Q label
SELECT date_trunc('quarter', d.full_date::timestamp),
       to_char(d.full_date, 'YYYY"Q"Q'),
       count(*)
FROM fact_degree f
JOIN dim_date d ON d.date_key = f.conferral_date_key
GROUP BY 1, 2
ORDER BY 1;

-- Instructor tenure at the start of Fall 2024 with age(date, date)
SELECT i.instructor_id,
       i.hire_date,
       age(t.start_date, i.hire_date) AS tenure_at_term_start
FROM dim_instructor i
CROSS JOIN dim_term t
WHERE t.term_code = '2024FA'
  AND i.is_current
  AND i.academic_rank = 'FULL'
ORDER BY i.instructor_id
LIMIT 20;

-- Student age in whole years at the start of their entry term, distribution
SELECT extract(year FROM age(t.start_date, s.birth_date)),
       count(DISTINCT s.student_id)
FROM dim_student s
JOIN dim_term t ON t.term_key = s.entry_term_key
WHERE s.version_no = 1
GROUP BY 1
ORDER BY 1;

-- age between timestamps and between literal dates
SELECT age(TIMESTAMP '2024-05-03 17:00:00', TIMESTAMP '2024-01-15 08:00:00') AS spring_span,
       age(DATE '2025-08-01', DATE '2020-08-24') AS five_year_span,
       age(TIMESTAMP '2024-03-01 00:00:00', TIMESTAMP '2024-02-28 12:30:00') AS leap_span;

-- make_date rebuilds first-of-month dates and matches date_trunc
SELECT calendar_year,
       month_num,
       make_date(calendar_year, month_num, 1),
       date_trunc('month', min(full_date)::timestamp)::date,
       (make_date(calendar_year, month_num, 1) + INTERVAL '1 month' - INTERVAL '1 day')::date,
       count(*)
FROM dim_date
WHERE calendar_year = 2024
GROUP BY calendar_year, month_num
ORDER BY calendar_year, month_num;

-- make_interval to project milestones from term start
SELECT term_code,
       start_date + make_interval(weeks => 8) AS midterm_week,
       start_date + make_interval(days => 10, hours => 9) AS census_proxy,
       make_interval(days => end_date - start_date) AS term_length
FROM dim_term
WHERE academic_year = '2024-25'
ORDER BY term_code;

-- Weekly calendar of Fall 2023 with generate_series over dates with a 1 week step
SELECT gs::date AS week_start,
       to_char(gs, 'Mon DD') AS label,
       row_number() OVER (ORDER BY gs) AS week_no
FROM dim_term t,
     generate_series(t.start_date::timestamp, t.end_date::timestamp, INTERVAL '1 week') AS gs
WHERE t.term_code = '2023FA'
ORDER BY week_start;

-- Number of weekly slots per term generated by generate_series
SELECT t.term_code,
       count(*),
       min(gs),
       max(gs)
FROM dim_term t
CROSS JOIN LATERAL generate_series(t.start_date::timestamp, t.end_date::timestamp, INTERVAL '7 days') AS gs
GROUP BY t.term_code
ORDER BY t.term_code;

-- Weeks of Fall 2024 and how many holidays fall in each (generate_series joined to dim_date)
SELECT w.week_start::date AS week_start,
       count(d.date_key) FILTER (WHERE d.is_holiday) AS holidays,
       count(d.date_key) FILTER (WHERE d.is_instructional_day) AS instructional_days
FROM dim_term t
CROSS JOIN LATERAL generate_series(t.start_date::timestamp, t.end_date::timestamp, INTERVAL '1 week') AS w(week_start)
LEFT JOIN dim_date d ON d.full_date >= w.week_start AND d.full_date < w.week_start + INTERVAL '1 week'
WHERE t.term_code = '2024FA'
GROUP BY w.week_start
ORDER BY week_start;

-- Gap in days between consecutive terms using LEAD over term_seq
SELECT term_code,
       end_date,
       lead(start_date) OVER (ORDER BY term_seq) AS next_start,
       lead(start_date) OVER (ORDER BY term_seq) - end_date AS gap_days
FROM dim_term
ORDER BY term_code;

-- Instructional days and holidays inside each term via BETWEEN date comparisons
SELECT t.term_code,
       count(*) FILTER (WHERE d.is_instructional_day),
       count(*) FILTER (WHERE d.is_holiday),
       count(*) FILTER (WHERE extract(isodow FROM d.full_date) IN (6, 7))
FROM dim_term t
JOIN dim_date d ON d.full_date BETWEEN t.start_date AND t.end_date
GROUP BY t.term_code
ORDER BY t.term_code;

-- SCD2 validity: current instructor rows end on 9999-12-31 and versions never invert
SELECT is_current,
       count(*) AS versions,
       count(*) FILTER (WHERE effective_to = DATE '9999-12-31') AS open_ended,
       count(*) FILTER (WHERE effective_from >= effective_to) AS inverted,
       min(effective_from) AS first_from,
       max(effective_to) AS last_to
FROM dim_instructor
GROUP BY is_current
ORDER BY is_current;

-- Average lifetime in days of closed student versions, by version number
SELECT version_no,
       count(*),
       round(avg(effective_to - effective_from), 1),
       max(effective_to - effective_from)
FROM dim_student
WHERE NOT is_current
GROUP BY version_no
ORDER BY version_no;

-- Attendance rate by week of term in Fall 2023
SELECT d.week_of_term,
       min(d.full_date) AS first_day,
       count(*) AS records,
       round(100.0 * count(*) FILTER (WHERE a.is_present) / count(*), 1) AS present_pct
FROM fact_attendance a
JOIN dim_date d ON d.date_key = a.date_key
WHERE a.term_key = 202310
GROUP BY d.week_of_term
ORDER BY d.week_of_term;

-- Registration lead time: days between registration and term start, by term
SELECT t.term_code,
       min(t.start_date - d.full_date) AS min_lead_days,
       max(t.start_date - d.full_date) AS max_lead_days,
       round(avg(t.start_date - d.full_date), 2) AS avg_lead_days
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
JOIN dim_date d ON d.date_key = e.registration_date_key
GROUP BY t.term_code
ORDER BY t.term_code;

-- Drops by week of term, counted from the term start date
SELECT (d.full_date - t.start_date) / 7 + 1,
       count(*),
       min(d.full_date),
       count(DISTINCT e.term_key)
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
JOIN dim_date d ON d.date_key = e.drop_date_key
GROUP BY 1
ORDER BY 1;

-- Days late for late submissions by assessment type (submitted date - due date)
SELECT p.assessment_type,
       count(*) AS late_submissions,
       min(s.full_date - d.full_date) AS min_days_late,
       max(s.full_date - d.full_date) AS max_days_late,
       round(avg(s.full_date - d.full_date), 3) AS avg_days_late
FROM fact_performance p
JOIN dim_date d ON d.date_key = p.due_date_key
JOIN dim_date s ON s.date_key = p.submitted_date_key
WHERE p.is_late
GROUP BY p.assessment_type
ORDER BY p.assessment_type;

-- Degree conferrals by month label, ordered chronologically
SELECT to_char(d.full_date, 'Mon YYYY'),
       to_char(d.full_date, 'YYYY-MM'),
       count(*)
FROM fact_degree f
JOIN dim_date d ON d.date_key = f.conferral_date_key
GROUP BY 1, 2
ORDER BY 2;

-- Time to degree from entry term start to conferral, by degree level
SELECT f.degree_level,
       count(*),
       round(avg(d.full_date - t.start_date) / 365.25, 2),
       min(age(d.full_date, t.start_date)),
       max(age(d.full_date, t.start_date))
FROM fact_degree f
JOIN dim_date d ON d.date_key = f.conferral_date_key
JOIN dim_student s ON s.student_key = f.student_key
JOIN dim_term t ON t.term_key = s.entry_term_key
GROUP BY f.degree_level
ORDER BY f.degree_level;

-- Course evaluations submitted relative to term end date
SELECT t.term_code,
       count(*) AS responses,
       count(*) FILTER (WHERE d.full_date > t.end_date) AS after_term_end,
       min(t.end_date - d.full_date) AS days_before_end_min,
       max(t.end_date - d.full_date) AS days_before_end_max
FROM fact_feedback f
JOIN dim_term t ON t.term_key = f.term_key
JOIN dim_date d ON d.date_key = f.submitted_date_key
WHERE f.survey_type = 'COURSE_EVAL'
GROUP BY t.term_code
ORDER BY t.term_code;

-- Survey responses per calendar quarter using extract(quarter) and extract(year)
SELECT extract(year FROM d.full_date) AS yr,
       extract(quarter FROM d.full_date) AS qtr,
       count(*) AS responses
FROM fact_feedback f
JOIN dim_date d ON d.date_key = f.submitted_date_key
GROUP BY 1, 2
ORDER BY yr, qtr;

-- Terms that overlap the 2023-24 winter holiday window (OVERLAPS)
SELECT term_code,
       (start_date, end_date) OVERLAPS (DATE '2023-12-01', DATE '2024-01-31'),
       start_date > DATE '2023-12-31',
       end_date < DATE '2023-12-01'
FROM dim_term
WHERE academic_year IN ('2023-24', '2024-25')
ORDER BY term_code;

-- Last day of each month of 2025 computed with date_trunc + interval
SELECT month_num,
       (date_trunc('month', min(full_date)::timestamp) + INTERVAL '1 month - 1 day')::date AS month_end,
       max(full_date) AS max_date_in_dim,
       extract(day FROM (date_trunc('month', min(full_date)::timestamp) + INTERVAL '1 month - 1 day')) AS days_in_month
FROM dim_date
WHERE calendar_year = 2025
GROUP BY month_num
ORDER BY month_num;

-- Terms longer than 100 days compared as intervals
SELECT term_code,
       end_date::timestamp - start_date::timestamp AS term_length
FROM dim_term
WHERE end_date::timestamp - start_date::timestamp > INTERVAL '100 days'
ORDER BY term_code;

-- Literal date arithmetic: leap day, month-end rollover and date differences
SELECT DATE '2024-02-28' + 1,
       DATE '2024-03-01' - DATE '2024-02-01',
       DATE '2023-01-31' + INTERVAL '1 month',
       DATE '2024-12-31' - 365,
       DATE '2024-01-01' - INTERVAL '1 second';

-- Literal interval arithmetic and normalisation
SELECT INTERVAL '1 day 2 hours' * 3 AS tripled,
       INTERVAL '90 minutes' AS ninety_minutes,
       justify_hours(INTERVAL '27 hours') AS justified_hours,
       INTERVAL '1 year 2 months' / 2 AS half,
       INTERVAL '3 hours' - INTERVAL '4 hours 30 minutes' AS negative,
       justify_interval(INTERVAL '1 month -1 hour') AS justified;

-- Literal extract/date_part on timestamps, including isoyear edge case and epoch
SELECT extract(epoch FROM TIMESTAMP '2024-01-01 00:00:00'),
       extract(hour FROM TIMESTAMP '2024-01-15 13:45:30'),
       date_part('minute', TIMESTAMP '2024-01-15 13:45:30'),
       extract(second FROM TIMESTAMP '2024-01-15 13:45:30.5'),
       extract(isoyear FROM DATE '2021-01-03'),
       extract(century FROM DATE '2000-12-31');

-- to_char on intervals and epoch seconds converted back to UTC timestamps
SELECT to_char(INTERVAL '15 hours 2 minutes 12 seconds', 'HH24:MI:SS') AS interval_clock,
       to_char(INTERVAL '200 minutes', 'HH24"h" MI"m"') AS minutes_label,
       to_timestamp(1700000000) AT TIME ZONE 'UTC' AS from_epoch,
       to_timestamp(0) AT TIME ZONE 'UTC' AS unix_origin;

-- Casting between text, date and timestamp for term boundaries
SELECT term_code,
       CAST(start_date AS varchar),
       CAST(start_date AS timestamp),
       ('2024-01-01'::date - start_date),
       start_date::text || ' to ' || end_date::text
FROM dim_term
WHERE term_type = 'SUMMER'
ORDER BY term_code;

-- Enrollment registrations per month of Spring 2024, labelled YYYY-MM
SELECT to_char(d.full_date, 'YYYY-MM') AS reg_month,
       count(*) AS registrations,
       count(*) FILTER (WHERE e.enrollment_status = 'DROPPED') AS later_dropped
FROM fact_enrollment e
JOIN dim_date d ON d.date_key = e.registration_date_key
WHERE e.term_key = 202320
GROUP BY to_char(d.full_date, 'YYYY-MM')
ORDER BY reg_month;

-- Weekday vs weekend survey submissions by survey type (isodow)
SELECT f.survey_type,
       CASE WHEN extract(isodow FROM d.full_date) IN (6, 7) THEN 'weekend' ELSE 'weekday' END AS day_kind,
       count(*) AS responses,
       count(DISTINCT d.full_date) AS distinct_days
FROM fact_feedback f
JOIN dim_date d ON d.date_key = f.submitted_date_key
GROUP BY 1, 2
ORDER BY survey_type, day_kind;

-- Instructors hired in August versus other months, with the earliest hire date
SELECT extract(month FROM hire_date) = 8,
       count(*),
       min(hire_date),
       max(hire_date)
FROM dim_instructor
WHERE is_current
GROUP BY 1
ORDER BY 1;

-- Timestamp truncation to week, day and hour for assessment deadlines of one section
SELECT p.assessment_id,
       d.full_date + TIME '23:59' AS due_at,
       date_trunc('week', d.full_date + TIME '23:59') AS due_week,
       date_trunc('day', d.full_date + TIME '23:59') AS due_day,
       date_trunc('hour', d.full_date + TIME '23:59') AS due_hour
FROM fact_performance p
JOIN dim_date d ON d.date_key = p.due_date_key
WHERE p.section_key = (SELECT min(section_key) FROM fact_performance WHERE term_key = 202310)
GROUP BY p.assessment_id, d.full_date
ORDER BY p.assessment_id;
