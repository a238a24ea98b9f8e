-- calendar days per year: count(*) versus count of the nullable term columns
SELECT calendar_year, count(*) AS days, count(term_key) AS term_days, count(week_of_term) AS instructional_weeks_days, count(*) - count(term_key) AS between_term_days
FROM dim_date
GROUP BY calendar_year
ORDER BY calendar_year;

-- completeness of optional student attributes by residency (current versions)
SELECT residency, count(*), count(preferred_name), count(hs_gpa), count(ipeds_cohort_term_key), count(DISTINCT ipeds_cohort_term_key)
FROM dim_student
WHERE is_current
GROUP BY residency
ORDER BY residency;

-- grade distribution with the NULL grade group listed first
SELECT final_grade, count(*) AS enrollments, count(grade_points) AS with_points
FROM fact_enrollment
GROUP BY final_grade
ORDER BY final_grade NULLS FIRST;

-- default null ordering: NULL honors sort last ascending
SELECT honors, degree_level, count(*)
FROM fact_degree
GROUP BY honors, degree_level
ORDER BY honors, degree_level;

-- default null ordering: NULL honors sort first descending
SELECT honors, degree_level, count(*) AS degrees
FROM fact_degree
GROUP BY honors, degree_level
ORDER BY honors DESC, degree_level;

-- descending order with NULLS LAST over a nullable rating
SELECT overall_rating, count(*) AS responses, avg(sentiment_score) AS avg_sentiment
FROM fact_feedback
GROUP BY overall_rating
ORDER BY overall_rating DESC NULLS LAST;

-- NULL propagation in arithmetic, comparison and concatenation
SELECT NULL::int + 1, NULL::numeric * 0, 'a' || NULL::text, concat('a', NULL, 'b'), NULL::int = NULL::int, NULL IS NULL;

-- quality points per department: sum skips NULL products, coalesce counts them as zero
SELECT d.department_code,
       sum(e.grade_points * e.credit_hours_attempted) AS qp_skip_nulls,
       sum(coalesce(e.grade_points, 0) * e.credit_hours_attempted) AS qp_nulls_as_zero,
       count(e.grade_points * e.credit_hours_attempted) AS non_null_products
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
WHERE d.division = 'HEALTH'
GROUP BY d.department_code
ORDER BY d.department_code;

-- IS DISTINCT FROM versus <> when comparing term and cumulative GPA
SELECT count(*) AS snapshots,
       count(*) FILTER (WHERE term_gpa <> cum_gpa) AS differ_ne,
       count(*) FILTER (WHERE term_gpa IS DISTINCT FROM cum_gpa) AS differ_distinct,
       count(*) FILTER (WHERE term_gpa IS NOT DISTINCT FROM cum_gpa) AS same_not_distinct,
       count(*) FILTER (WHERE term_gpa = cum_gpa) AS same_eq
FROM fact_student_term;

-- honors label with COALESCE for degrees without honors
SELECT coalesce(honors, 'NONE') AS honors_label, count(*) AS degrees, avg(final_cum_gpa) AS avg_gpa
FROM fact_degree
GROUP BY 1
ORDER BY 1;

-- NULLIF turns withdrawals and zero-credit outcomes into NULLs before counting
SELECT t.term_type, count(nullif(e.final_grade, 'W')), count(e.final_grade), count(nullif(e.credit_hours_earned, 0)), avg(nullif(e.credit_hours_earned, 0))
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
GROUP BY t.term_type
ORDER BY t.term_type;

-- letter grade band via searched CASE with an explicit ELSE
SELECT CASE
         WHEN grade_points >= 3.7 THEN 'A range'
         WHEN grade_points >= 2.7 THEN 'B range'
         WHEN grade_points >= 1.7 THEN 'C range'
         WHEN grade_points IS NOT NULL THEN 'D/F'
         ELSE 'No points'
       END AS band,
       count(*) AS enrollments
FROM fact_enrollment
GROUP BY 1
ORDER BY 1;

-- CASE without ELSE yields NULL, grouped with the NULL group first
SELECT CASE WHEN is_gpa_eligible THEN final_grade END, count(*)
FROM fact_enrollment
WHERE enrollment_status = 'COMPLETED'
GROUP BY 1
ORDER BY 1 NULLS FIRST;

-- GREATEST and LEAST ignore NULL arguments across ratings
SELECT survey_type,
       count(greatest(overall_rating, instructor_rating, course_rating)) AS any_rating,
       min(least(overall_rating, instructor_rating, course_rating)) AS lowest,
       max(greatest(overall_rating, instructor_rating, course_rating)) AS highest,
       avg(greatest(overall_rating, course_rating) - least(overall_rating, course_rating)) AS avg_gap
FROM fact_feedback
GROUP BY survey_type
ORDER BY survey_type;

-- three-valued boolean logic truth table
SELECT NULL::boolean AND false AS null_and_false, NULL::boolean AND true AS null_and_true, NULL::boolean OR true AS null_or_true, NULL::boolean OR false AS null_or_false, NOT NULL::boolean AS not_null;

-- IN and NOT IN lists that contain NULL
SELECT 1 IN (1, NULL), 2 IN (1, NULL), 2 NOT IN (1, NULL), NULL::int IN (1, 2), 3 NOT IN (1, 2);

-- NOT IN against a subquery with NULLs matches nothing, NOT EXISTS does
SELECT (SELECT count(*) FROM dim_student s WHERE s.student_key NOT IN (SELECT f.student_key FROM fact_feedback f)) AS not_in_count,
       (SELECT count(*) FROM dim_student s WHERE NOT EXISTS (SELECT 1 FROM fact_feedback f WHERE f.student_key = s.student_key)) AS not_exists_count,
       (SELECT count(*) FROM dim_student s WHERE s.student_key NOT IN (SELECT f.student_key FROM fact_feedback f WHERE f.student_key IS NOT NULL)) AS not_in_filtered;

-- programs with no students at all, via NOT EXISTS, by degree level
SELECT p.degree_level, count(*) AS empty_programs
FROM dim_program p
WHERE NOT EXISTS (SELECT 1 FROM dim_student s WHERE s.program_key = p.program_key)
GROUP BY p.degree_level
ORDER BY p.degree_level;

-- instructors (any version) who were primary instructor of at least one section, by rank
SELECT i.academic_rank, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM dim_section s WHERE s.primary_instructor_key = i.instructor_key)), count(*)
FROM dim_instructor i
GROUP BY i.academic_rank
ORDER BY i.academic_rank;

-- text literals cast to int, numeric, date and boolean
SELECT '42'::int AS as_int, '-17'::bigint AS as_bigint, '3.14159'::numeric AS as_numeric, '2024-02-29'::date AS as_date, 'yes'::boolean AS yes_bool, 'off'::boolean AS off_bool, 't'::boolean AS t_bool, '0'::boolean AS zero_bool;

-- integer term keys cast to text and sliced into year and suffix
SELECT term_key::text AS key_text, left(term_key::text, 4) AS start_year, right(term_key::text, 2) AS suffix, term_code || ' (' || term_key || ')' AS label
FROM dim_term
ORDER BY term_key;

-- term dates cast to text and date differences as integers
SELECT term_code, start_date::text, end_date::text, end_date - start_date, census_date - start_date, CAST(census_date AS varchar)
FROM dim_term
WHERE term_type = 'FALL'
ORDER BY term_code;

-- boolean columns output as t/f and cast to text
SELECT is_stem, is_stem::text, count(*), sum(is_stem::int)
FROM dim_program
GROUP BY is_stem
ORDER BY 1;

-- YYYYMMDD date keys cast through text to date agree with full_date
SELECT calendar_year, count(*) FILTER (WHERE date_key::text::date = full_date), min(date_key::text::date), max(to_date(date_key::text, 'YYYYMMDD'))
FROM dim_date
GROUP BY calendar_year
ORDER BY calendar_year;

-- CIP family from casting the text CIP code to numeric
SELECT floor(cip_code::numeric)::int AS cip_family, count(*) AS programs, min(cip_code::numeric) AS first_cip
FROM dim_program
GROUP BY 1
ORDER BY 1
LIMIT 20;

-- course number cast to int compared with the stored course level
SELECT level_group, min(course_number::int), max(course_number::int), count(*) FILTER (WHERE course_number::int / 1000 * 1000 = course_level)
FROM dim_course
GROUP BY level_group
ORDER BY level_group;

-- aggregates over an empty term: sum/avg/max are NULL, count is 0
SELECT count(*), count(grade_points), sum(credit_hours_attempted), avg(grade_points), max(final_grade), bool_and(is_pass)
FROM fact_enrollment
WHERE term_key = 202430;

-- grouped aggregate over no rows returns no rows
SELECT term_key, count(*) AS enrollments
FROM fact_enrollment
WHERE term_key = 202430
GROUP BY term_key;

-- every term with its enrollment totals, LEFT JOIN leaves NULL sums for empty terms
SELECT t.term_code, count(e.enrollment_id) AS enrollments, sum(e.credit_hours_attempted) AS attempted, coalesce(sum(e.credit_hours_attempted), 0) AS attempted_or_zero
FROM dim_term t
LEFT JOIN fact_enrollment e ON e.term_key = t.term_key
GROUP BY t.term_code
ORDER BY t.term_code;

-- NULLs group together across two nullable feedback columns
SELECT sentiment_label, sentiment_model, count(*), count(comment_text)
FROM fact_feedback
GROUP BY sentiment_label, sentiment_model;

-- concat_ws skips NULLs while || propagates them
SELECT concat_ws(' / ', final_grade, grade_points::text) AS ws_label, final_grade || ' / ' || grade_points AS pipe_label, count(*) AS n
FROM fact_enrollment
WHERE term_key = 202410
GROUP BY final_grade, grade_points
ORDER BY final_grade NULLS FIRST;

-- course and grade label: || yields NULL when the grade is missing, concat does not
SELECT count(c.course_id || ':' || e.final_grade), count(concat(c.course_id, ':', e.final_grade)), count(*) FILTER (WHERE c.course_id || ':' || e.final_grade IS NULL)
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key;

-- negated predicates drop rows whose comparison is unknown
SELECT count(*) AS total,
       count(*) FILTER (WHERE grade_points > 2.0) AS above,
       count(*) FILTER (WHERE NOT (grade_points > 2.0)) AS not_above,
       count(*) FILTER (WHERE (grade_points > 2.0) IS UNKNOWN) AS unknown_cmp,
       count(*) FILTER (WHERE (grade_points > 2.0) IS NOT TRUE) AS not_true
FROM fact_enrollment;

-- comparing to NULL with = never matches, IS NULL does
SELECT count(CASE WHEN honors = NULL THEN 1 END), count(CASE WHEN honors IS NULL THEN 1 END), count(CASE honors WHEN NULL THEN 1 END)
FROM fact_degree;

-- IS TRUE, IS FALSE and IS NOT FALSE over a nullable comparison per survey type
SELECT survey_type,
       count(*) FILTER (WHERE (overall_rating >= 4) IS TRUE),
       count(*) FILTER (WHERE (overall_rating >= 4) IS FALSE),
       count(*) FILTER (WHERE (overall_rating >= 4) IS NOT FALSE)
FROM fact_feedback
GROUP BY survey_type
ORDER BY survey_type;

-- bool_and, bool_or and every over a NULL-able boolean expression
SELECT p.degree_level, bool_and(s.hs_gpa >= 2.5) AS all_hs_ok, bool_or(s.hs_gpa >= 3.9) AS any_top, every(s.preferred_name IS NULL) AS none_preferred
FROM dim_student s
JOIN dim_program p ON p.program_key = s.program_key
WHERE s.is_current
GROUP BY p.degree_level
ORDER BY p.degree_level;

-- lowest term GPAs with NULLs placed first and a total tie-break
SELECT student_id, term_key, term_gpa, cum_gpa
FROM fact_student_term
ORDER BY term_gpa NULLS FIRST, student_id, term_key
LIMIT 25;

-- min and max ignore NULLs, averages differ when NULLs are coalesced
SELECT d.division, min(e.final_score_pct) AS min_score, max(e.final_score_pct) AS max_score, avg(e.final_score_pct) AS avg_known, avg(coalesce(e.final_score_pct, 0)) AS avg_null_zero
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.division
ORDER BY d.division;

-- completed-credit ratio per term and gateway flag, NULL where no course is completed yet
SELECT t.term_code, c.is_gateway,
       sum(e.credit_hours_earned) / nullif(sum(e.credit_hours_attempted) FILTER (WHERE e.enrollment_status = 'COMPLETED'), 0)
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
JOIN dim_course c ON c.course_key = e.course_key
WHERE t.academic_year = '2024-25'
GROUP BY t.term_code, c.is_gateway
ORDER BY t.term_code, c.is_gateway;

-- boolean flags cast to integers and summed by ethnicity
SELECT ethnicity, sum(is_pell_recipient::int) AS pell, sum(is_first_generation::int) AS first_gen, sum(has_disability::integer) AS disability, count(*) AS students
FROM dim_student
WHERE is_current
GROUP BY ethnicity
ORDER BY ethnicity;

-- integers cast to boolean and booleans cast to text and back
SELECT 1::boolean, 0::boolean, true::text, false::text, 'TRUE'::text::boolean, (2 > 1)::text, NULL::boolean::text;

-- numeric high-school GPA cast to int rounds half away from zero
SELECT hs_gpa::int AS gpa_int, count(*) AS students, min(hs_gpa) AS low, max(hs_gpa) AS high
FROM dim_student
WHERE is_current
GROUP BY 1
ORDER BY 1 NULLS LAST;

-- float sentiment scores cast to text and to numeric(3,1)
SELECT f.sentiment_score::text, f.sentiment_score::numeric(3,1), count(*)
FROM fact_feedback f
WHERE f.sentiment_score IS NOT NULL AND f.sentiment_score < 0
GROUP BY f.sentiment_score
ORDER BY f.sentiment_score;

-- smallint calendar parts concatenated into a text label
SELECT calendar_year || '-Q' || calendar_quarter AS quarter_label, count(*) AS days, count(term_key) AS in_term
FROM dim_date
WHERE calendar_year = 2023
GROUP BY calendar_year, calendar_quarter
ORDER BY quarter_label;

-- varchar(n) casts truncate department names silently
SELECT department_code, department_name::varchar(10), CAST(college_name AS varchar(20)), length(department_name::varchar(10))
FROM dim_department
WHERE division = 'STEM'
ORDER BY department_code;

-- char(1) attendance codes: padding, casts and concatenation
SELECT attendance_status, attendance_status::text || '|' AS as_text, attendance_status::char(3) || '|' AS padded_concat, length(attendance_status::char(3)) AS char_len, count(*) AS marks
FROM fact_attendance
GROUP BY attendance_status
ORDER BY attendance_status;

-- COALESCE picks the first non-NULL of drop date and registration date
SELECT e.enrollment_status, count(*), min(coalesce(e.drop_date_key, e.registration_date_key)), count(DISTINCT coalesce(e.drop_date_key::text, 'none'))
FROM fact_enrollment e
WHERE e.term_key = 202310
GROUP BY e.enrollment_status
ORDER BY e.enrollment_status;

-- LEFT JOIN on a nullable key: enrollments without a drop date find no date row
SELECT e.enrollment_status, count(*) AS enrollments, count(d.date_key) AS matched_drop_dates, count(*) FILTER (WHERE d.date_key IS NULL) AS unmatched
FROM fact_enrollment e
LEFT JOIN dim_date d ON d.date_key = e.drop_date_key
GROUP BY e.enrollment_status
ORDER BY e.enrollment_status;

-- EXISTS as a scalar boolean for empty and non-empty terms
SELECT EXISTS (SELECT 1 FROM fact_enrollment WHERE term_key = 202430), EXISTS (SELECT 1 FROM fact_enrollment WHERE term_key = 202410), NOT EXISTS (SELECT 1 FROM fact_degree WHERE honors IS NULL);

-- ANY and ALL comparisons with NULL array elements
SELECT 5 > ALL (ARRAY[1, NULL]) AS gt_all, 5 > ANY (ARRAY[1, NULL]) AS gt_any, 0 > ANY (ARRAY[1, NULL]) AS zero_gt_any, 5 = ANY (ARRAY[NULL::int]) AS eq_any_null;

-- row comparisons with NULL fields versus IS DISTINCT FROM
SELECT ROW(1, NULL::int) = ROW(1, NULL::int), ROW(1, NULL::int) IS DISTINCT FROM ROW(1, NULL::int), ROW(1, 2) <> ROW(1, NULL::int), ROW(1, 2) IS DISTINCT FROM ROW(1, NULL::int);

-- DISTINCT and UNION treat NULL grades as one value
SELECT final_grade FROM fact_enrollment WHERE term_key = 202010
UNION
SELECT final_grade FROM fact_enrollment WHERE term_key = 202420;

-- weeks of term including the NULL week, NULLs sorted first
SELECT week_of_term, count(*), count(DISTINCT term_key), bool_or(is_holiday)
FROM dim_date
GROUP BY week_of_term
ORDER BY week_of_term NULLS FIRST;

-- feedback respondents: identified versus anonymous responses per term via IS NULL
SELECT term_key, count(*) FILTER (WHERE student_key IS NULL) AS anonymous, count(student_key) AS identified, count(DISTINCT student_key) AS distinct_students
FROM fact_feedback
GROUP BY term_key
ORDER BY term_key;

-- IN list with a NULL element against a nullable column
SELECT overall_rating IN (4, 5, NULL) AS favourable, count(*)
FROM fact_feedback
GROUP BY 1
ORDER BY 1 NULLS FIRST;

-- NULLIF and COALESCE combined: minutes late with zero standing in for non-tardy marks
SELECT sec.delivery_mode, avg(a.minutes_late) AS avg_when_late, avg(coalesce(a.minutes_late, 0)) AS avg_all_marks, sum(a.minutes_late) AS total_late, count(nullif(a.attendance_status, 'P')) AS non_present_marks
FROM fact_attendance a
JOIN dim_section sec ON sec.section_key = a.section_key
GROUP BY sec.delivery_mode
ORDER BY sec.delivery_mode;

-- numeric text parsed from JSON answers and cast to int
SELECT substring(answers_json FROM '"q1":([0-9]+)')::int AS q1, count(*), avg(overall_rating)
FROM fact_feedback
WHERE survey_type = 'COURSE_EVAL'
GROUP BY 1
ORDER BY 1 NULLS LAST;
