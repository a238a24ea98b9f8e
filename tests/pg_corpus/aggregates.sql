-- enrollment count per term, joined to the term dimension
SELECT t.term_code, t.term_name, count(*) AS enrollments
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
GROUP BY t.term_code, t.term_name
ORDER BY t.term_code;

-- attempted and earned credit hours per division (unaliased sums of DECIMAL)
SELECT d.division, sum(e.credit_hours_attempted), sum(e.credit_hours_earned)
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.division
ORDER BY 1;

-- average grade points per college, exact and rounded, with count of graded rows
SELECT d.college_name,
       avg(e.grade_points) AS avg_grade_points,
       round(avg(e.grade_points), 2) AS avg_grade_points_2dp,
       count(e.grade_points) AS graded_rows
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.college_name
ORDER BY d.college_name;

-- min and max of numeric and text columns per course level group
SELECT c.level_group, min(e.final_score_pct), max(e.final_score_pct), min(e.final_grade), max(e.final_grade)
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
GROUP BY c.level_group
ORDER BY c.level_group;

-- distinct students, courses and sections per term versus raw enrollment rows
SELECT e.term_key,
       count(DISTINCT e.student_id) AS students,
       count(DISTINCT e.course_key) AS courses,
       count(DISTINCT e.section_key) AS sections,
       count(*) AS enrollments
FROM fact_enrollment e
GROUP BY e.term_key
ORDER BY e.term_key;

-- ten departments reaching the most distinct students over all terms
SELECT d.department_code, count(DISTINCT e.student_id) AS students
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.department_code
ORDER BY students DESC, d.department_code
LIMIT 10;

-- enrollment outcomes per term type with FILTER clauses
SELECT t.term_type,
       count(*) FILTER (WHERE e.enrollment_status = 'DROPPED') AS dropped,
       count(*) FILTER (WHERE e.enrollment_status = 'WITHDRAWN') AS withdrawn,
       count(*) FILTER (WHERE e.enrollment_status = 'COMPLETED') AS completed,
       count(*) AS total
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
GROUP BY t.term_type
ORDER BY t.term_type;

-- average final score for gateway vs non-gateway courses per delivery mode (unaliased FILTER)
SELECT s.delivery_mode,
       avg(e.final_score_pct) FILTER (WHERE c.is_gateway),
       avg(e.final_score_pct) FILTER (WHERE NOT c.is_gateway),
       sum(e.credit_hours_earned) FILTER (WHERE e.is_pass)
FROM fact_enrollment e
JOIN dim_section s ON s.section_key = e.section_key
JOIN dim_course c ON c.course_key = e.course_key
GROUP BY s.delivery_mode
ORDER BY s.delivery_mode;

-- DFW rate (share of D, F and W grades among graded rows) for the 15 worst departments
SELECT d.department_code,
       count(*) FILTER (WHERE e.final_grade IN ('D+', 'D', 'D-', 'F', 'W', 'WF')) AS dfw,
       count(*) FILTER (WHERE e.final_grade IS NOT NULL) AS graded,
       round(100.0 * count(*) FILTER (WHERE e.final_grade IN ('D+', 'D', 'D-', 'F', 'W', 'WF'))
             / NULLIF(count(*) FILTER (WHERE e.final_grade IS NOT NULL), 0), 2) AS dfw_pct
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.department_code
ORDER BY dfw_pct DESC, d.department_code
LIMIT 15;

-- DFW rate of gateway courses from the is_dfw flag, as an average of a CASE
SELECT c.course_id,
       count(*),
       avg(CASE WHEN e.is_dfw THEN 1.0 ELSE 0 END),
       round(avg(CASE WHEN e.is_dfw THEN 1.0 ELSE 0 END), 4)
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
WHERE c.is_gateway
GROUP BY c.course_id
ORDER BY c.course_id;

-- DFW rate per instructor academic rank for letter-graded courses
SELECT i.academic_rank,
       sum(CASE WHEN e.is_dfw THEN 1 ELSE 0 END) AS dfw_count,
       count(*) AS enrollments,
       round(sum(CASE WHEN e.is_dfw THEN 1 ELSE 0 END)::numeric / count(*), 4) AS dfw_rate
FROM fact_enrollment e
JOIN dim_instructor i ON i.instructor_key = e.instructor_key
JOIN dim_course c ON c.course_key = e.course_key
WHERE c.grading_basis = 'LETTER'
GROUP BY i.academic_rank
ORDER BY i.academic_rank;

-- most common final grade per division with mode()
SELECT d.division, mode() WITHIN GROUP (ORDER BY e.final_grade)
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
WHERE e.final_grade IS NOT NULL
GROUP BY d.division
ORDER BY d.division;

-- most common registration weekday and month per term type
SELECT t.term_type,
       mode() WITHIN GROUP (ORDER BY dd.day_name) AS top_registration_day,
       mode() WITHIN GROUP (ORDER BY dd.month_num) AS top_registration_month
FROM fact_enrollment e
JOIN dim_date dd ON dd.date_key = e.registration_date_key
JOIN dim_term t ON t.term_key = e.term_key
GROUP BY t.term_type
ORDER BY t.term_type;

-- median final score per course level group with percentile_cont
SELECT c.level_group,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY e.final_score_pct) AS median_score,
       count(e.final_score_pct) AS scored
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
GROUP BY c.level_group
ORDER BY c.level_group;

-- 90th percentile final score per college with percentile_disc (keeps the DECIMAL type)
SELECT d.college_code, percentile_disc(0.9) WITHIN GROUP (ORDER BY e.final_score_pct)
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.college_code
ORDER BY d.college_code;

-- quartiles of assessment score percentage per assessment type (array of fractions)
SELECT p.assessment_type,
       percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY p.score_pct) AS quartiles
FROM fact_performance p
GROUP BY p.assessment_type
ORDER BY p.assessment_type;

-- deciles 1, 5 and 9 of term GPA per class level with percentile_disc over an array
SELECT st.class_level, percentile_disc(ARRAY[0.1, 0.5, 0.9]) WITHIN GROUP (ORDER BY st.term_gpa)
FROM fact_student_term st
GROUP BY st.class_level
ORDER BY st.class_level;

-- section capacity percentiles per delivery mode, including a descending ordered-set aggregate
SELECT s.delivery_mode,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY s.capacity) AS median_capacity,
       percentile_cont(0.25) WITHIN GROUP (ORDER BY s.capacity DESC) AS upper_quartile_capacity,
       mode() WITHIN GROUP (ORDER BY s.meetings_per_week) AS usual_meetings
FROM dim_section s
GROUP BY s.delivery_mode
ORDER BY s.delivery_mode;

-- department codes listed per college with string_agg ordered by code
SELECT d.college_code, string_agg(d.department_code, ', ' ORDER BY d.department_code) AS departments
FROM dim_department d
GROUP BY d.college_code
ORDER BY d.college_code;

-- distinct delivery modes offered per campus as a slash-separated list
SELECT s.campus, string_agg(DISTINCT s.delivery_mode, '/' ORDER BY s.delivery_mode), count(*)
FROM dim_section s
GROUP BY s.campus
ORDER BY s.campus;

-- gateway course ids per division with array_agg ordered and filtered
SELECT d.division,
       array_agg(c.course_id ORDER BY c.course_id) FILTER (WHERE c.is_gateway) AS gateway_courses,
       count(*) AS all_courses
FROM dim_course c
JOIN dim_department d ON d.department_key = c.department_key
GROUP BY d.division
ORDER BY d.division;

-- term codes of each academic year in calendar order
SELECT t.academic_year, array_agg(t.term_code ORDER BY t.term_seq), min(t.start_date), max(t.end_date)
FROM dim_term t
GROUP BY t.academic_year
ORDER BY t.academic_year;

-- honors awarded per degree level, as a distinct ordered array with NULLs filtered out
SELECT f.degree_level,
       array_agg(DISTINCT f.honors ORDER BY f.honors) FILTER (WHERE f.honors IS NOT NULL) AS honors_awarded,
       count(f.honors) AS with_honors,
       count(*) AS degrees
FROM fact_degree f
GROUP BY f.degree_level
ORDER BY f.degree_level;

-- course catalog flags per college with bool_and, bool_or and every
SELECT d.college_code,
       bool_and(c.is_gateway),
       bool_or(c.is_gateway),
       every(c.credit_hours >= 1),
       bool_or(c.grading_basis = 'PASS_FAIL')
FROM dim_course c
JOIN dim_department d ON d.department_key = c.department_key
GROUP BY d.college_code
ORDER BY d.college_code;

-- attendance-taking and capacity checks of sections per term type
SELECT t.term_type,
       bool_or(s.takes_attendance) AS any_takes_attendance,
       bool_and(s.takes_attendance) AS all_take_attendance,
       every(s.capacity > 10) AS all_over_ten_seats
FROM dim_section s
JOIN dim_term t ON t.term_key = s.term_key
GROUP BY t.term_type
ORDER BY t.term_type;

-- spread of final scores per division: sample and population standard deviation
SELECT d.division,
       round(stddev_samp(e.final_score_pct), 6) AS sd_sample,
       round(stddev_pop(e.final_score_pct), 6) AS sd_population,
       count(e.final_score_pct) AS n
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.division
ORDER BY d.division;

-- variance of term GPA per class level (unrounded numeric var_samp and var_pop)
SELECT st.class_level, var_samp(st.term_gpa), var_pop(st.term_gpa)
FROM fact_student_term st
GROUP BY st.class_level
ORDER BY st.class_level;

-- sentiment score statistics per survey type over a DOUBLE column
SELECT f.survey_type,
       round(avg(f.sentiment_score)::numeric, 10) AS mean_sentiment,
       round(stddev_samp(f.sentiment_score)::numeric, 10) AS sd_sentiment,
       round(var_pop(f.sentiment_score)::numeric, 10) AS var_sentiment,
       count(f.sentiment_score) AS scored
FROM fact_feedback f
GROUP BY f.survey_type
ORDER BY f.survey_type;

-- correlation between high-school GPA and term GPA per class level
SELECT st.class_level, round(corr(s.hs_gpa, st.term_gpa)::numeric, 10), count(*)
FROM fact_student_term st
JOIN dim_student s ON s.student_key = st.student_key
WHERE s.hs_gpa IS NOT NULL AND st.term_gpa IS NOT NULL
GROUP BY st.class_level
ORDER BY st.class_level;

-- covariance of overall rating and sentiment per survey type
SELECT f.survey_type,
       round(covar_pop(f.overall_rating, f.sentiment_score)::numeric, 10) AS covariance_pop,
       round(covar_samp(f.overall_rating, f.sentiment_score)::numeric, 10) AS covariance_samp,
       round(corr(f.overall_rating, f.sentiment_score)::numeric, 10) AS correlation
FROM fact_feedback f
GROUP BY f.survey_type
ORDER BY f.survey_type;

-- regression of overall rating on instructor rating for course evaluations per division
SELECT d.division,
       round(regr_slope(f.overall_rating, f.instructor_rating)::numeric, 8),
       round(regr_intercept(f.overall_rating, f.instructor_rating)::numeric, 8),
       regr_count(f.overall_rating, f.instructor_rating),
       round(regr_r2(f.overall_rating, f.instructor_rating)::numeric, 8)
FROM fact_feedback f
JOIN dim_course c ON c.course_key = f.course_key
JOIN dim_department d ON d.department_key = c.department_key
WHERE f.survey_type = 'COURSE_EVAL'
GROUP BY d.division
ORDER BY d.division;

-- regression of final score on attendance rate per enrollment, by delivery mode
WITH att AS (
  SELECT a.student_key, a.section_key, avg(CASE WHEN a.is_present THEN 100.0 ELSE 0 END) AS attendance_pct
  FROM fact_attendance a
  GROUP BY a.student_key, a.section_key
)
SELECT s.delivery_mode,
       regr_count(e.final_score_pct, att.attendance_pct) AS n,
       round(regr_slope(e.final_score_pct, att.attendance_pct)::numeric, 6) AS slope,
       round(regr_intercept(e.final_score_pct, att.attendance_pct)::numeric, 6) AS intercept,
       round(regr_r2(e.final_score_pct, att.attendance_pct)::numeric, 6) AS r_squared
FROM fact_enrollment e
JOIN att ON att.student_key = e.student_key AND att.section_key = e.section_key
JOIN dim_section s ON s.section_key = e.section_key
GROUP BY s.delivery_mode
ORDER BY s.delivery_mode;

-- courses with more than 150 enrollment rows (HAVING on count)
SELECT c.course_id, c.course_title, count(*) AS enrollments
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
GROUP BY c.course_id, c.course_title
HAVING count(*) > 150
ORDER BY c.course_id;

-- instructors whose course evaluations average at least 4 with 20 or more ratings
SELECT i.instructor_id, i.last_name, avg(f.overall_rating), count(f.overall_rating)
FROM fact_feedback f
JOIN dim_instructor i ON i.instructor_key = f.instructor_key
WHERE f.survey_type = 'COURSE_EVAL'
GROUP BY i.instructor_id, i.last_name
HAVING avg(f.overall_rating) >= 4 AND count(f.overall_rating) >= 20
ORDER BY i.instructor_id, i.last_name;

-- programs with graduates of more than one degree level or an average final GPA above 3.5
SELECT p.program_code, count(DISTINCT f.degree_level) AS levels, avg(f.final_cum_gpa) AS avg_final_gpa
FROM fact_degree f
JOIN dim_program p ON p.program_key = f.program_key
GROUP BY p.program_code
HAVING count(DISTINCT f.degree_level) > 1 OR avg(f.final_cum_gpa) > 3.5
ORDER BY p.program_code;

-- aggregates over an empty input still return one row of NULLs and zero counts
SELECT count(*) AS n,
       count(e.final_grade) AS graded,
       sum(e.credit_hours_earned) AS credits,
       avg(e.grade_points) AS avg_gp,
       min(e.final_grade) AS min_grade,
       string_agg(e.final_grade, ',' ORDER BY e.final_grade) AS grades,
       array_agg(e.enrollment_id ORDER BY e.enrollment_id) AS ids,
       bool_and(e.is_pass) AS all_passed
FROM fact_enrollment e
WHERE e.term_key = 190010;

-- grouped aggregate over an empty input returns no rows
SELECT e.term_key, count(*), sum(e.credit_hours_attempted)
FROM fact_enrollment e
WHERE e.credit_hours_attempted > 99
GROUP BY e.term_key;

-- summer graduate-course enrollments per college: empty groups appear with a zero count via LEFT JOIN
SELECT d.college_code,
       count(x.enrollment_id) AS summer_grad_enrollments,
       coalesce(sum(x.credit_hours_attempted), 0) AS summer_grad_credits,
       sum(x.credit_hours_attempted) AS raw_sum
FROM dim_department d
LEFT JOIN (
  SELECT e.enrollment_id, e.department_key, e.credit_hours_attempted
  FROM fact_enrollment e
  JOIN dim_course c ON c.course_key = e.course_key
  JOIN dim_term t ON t.term_key = e.term_key
  WHERE c.level_group = 'GRADUATE' AND t.term_type = 'SUMMER'
) x ON x.department_key = d.department_key
GROUP BY d.college_code
ORDER BY d.college_code;

-- FILTER that matches nothing yields zero counts and NULL sums per group
SELECT c.grading_basis,
       count(*) FILTER (WHERE e.final_grade = 'A' AND c.grading_basis = 'PASS_FAIL'),
       sum(e.grade_points) FILTER (WHERE e.final_grade = 'P' AND e.grade_points IS NOT NULL),
       max(e.final_score_pct) FILTER (WHERE e.final_score_pct > 100)
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
GROUP BY c.grading_basis
ORDER BY c.grading_basis;

-- letter-grade distribution per term type via sums of CASE expressions
SELECT t.term_type,
       sum(CASE WHEN e.final_grade LIKE 'A%' THEN 1 ELSE 0 END) AS a_grades,
       sum(CASE WHEN e.final_grade LIKE 'B%' THEN 1 ELSE 0 END) AS b_grades,
       sum(CASE WHEN e.final_grade LIKE 'C%' THEN 1 ELSE 0 END) AS c_grades,
       sum(CASE WHEN e.final_grade LIKE 'D%' THEN 1 ELSE 0 END) AS d_grades,
       sum(CASE WHEN e.final_grade IN ('F', 'WF') THEN 1 ELSE 0 END) AS f_grades
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
GROUP BY t.term_type
ORDER BY t.term_type;

-- attendance rate per weekday from an average of a CASE over the present flag
SELECT dd.day_of_week, dd.day_name, avg(CASE WHEN a.is_present THEN 1 ELSE 0 END), count(*)
FROM fact_attendance a
JOIN dim_date dd ON dd.date_key = a.date_key
GROUP BY dd.day_of_week, dd.day_name
ORDER BY dd.day_of_week;

-- enrollment rows across a four-way join, per college and term type
SELECT d.college_code, t.term_type, count(*) AS enrollments
FROM fact_enrollment e
JOIN dim_section s ON s.section_key = e.section_key
JOIN dim_course c ON c.course_key = s.course_key
JOIN dim_department d ON d.department_key = c.department_key
JOIN dim_term t ON t.term_key = s.term_key
GROUP BY d.college_code, t.term_type
ORDER BY d.college_code, t.term_type;

-- attendance records per delivery mode and attendance status over a join to sections
SELECT s.delivery_mode, a.attendance_status, count(*), sum(a.minutes_late)
FROM fact_attendance a
JOIN dim_section s ON s.section_key = a.section_key
GROUP BY s.delivery_mode, a.attendance_status
ORDER BY s.delivery_mode, a.attendance_status;

-- average evaluation ratings per instructor rank and tenure status
SELECT i.academic_rank,
       i.tenure_status,
       round(avg(f.overall_rating), 3) AS overall,
       round(avg(f.instructor_rating), 3) AS instructor,
       round(avg(f.workload_rating), 3) AS workload,
       count(*) AS responses
FROM fact_feedback f
JOIN dim_instructor i ON i.instructor_key = f.instructor_key
GROUP BY i.academic_rank, i.tenure_status
ORDER BY i.academic_rank, i.tenure_status;

-- degrees and final GPA per degree level and honors band
SELECT f.degree_level, f.honors, count(*), avg(f.final_cum_gpa), min(f.final_cum_gpa), max(f.final_cum_gpa)
FROM fact_degree f
GROUP BY f.degree_level, f.honors
ORDER BY f.degree_level, f.honors NULLS FIRST;

-- average number of terms from entry to degree conferral per degree level
SELECT f.degree_level,
       avg(ct.term_seq - et.term_seq + 1) AS avg_terms_to_degree,
       max(ct.term_seq - et.term_seq + 1) AS max_terms_to_degree,
       count(*) AS degrees
FROM fact_degree f
JOIN dim_student s ON s.student_key = f.student_key
JOIN dim_term et ON et.term_key = s.entry_term_key
JOIN dim_term ct ON ct.term_key = f.conferral_term_key
GROUP BY f.degree_level
ORDER BY f.degree_level;

-- full-time share and FTE per term from the student-term snapshot
SELECT st.term_key,
       count(*),
       count(*) FILTER (WHERE st.is_full_time),
       round(avg(CASE WHEN st.is_full_time THEN 1 ELSE 0 END), 4),
       sum(st.credits_attempted) / 15
FROM fact_student_term st
GROUP BY st.term_key
ORDER BY st.term_key;

-- late and missing submission rates per assessment type
SELECT p.assessment_type,
       count(*) AS items,
       round(100.0 * count(*) FILTER (WHERE p.is_late) / count(*), 2) AS late_pct,
       round(100.0 * count(*) FILTER (WHERE p.is_missing) / count(*), 2) AS missing_pct,
       avg(p.weight_pct) AS avg_weight
FROM fact_performance p
GROUP BY p.assessment_type
ORDER BY p.assessment_type;

-- calendar coverage per academic year: first and last date, instructional days and holidays
SELECT dd.academic_year,
       min(dd.full_date),
       max(dd.full_date),
       count(*) FILTER (WHERE dd.is_instructional_day),
       count(*) FILTER (WHERE dd.is_holiday),
       count(DISTINCT dd.term_key)
FROM dim_date dd
GROUP BY dd.academic_year
ORDER BY dd.academic_year;

-- distinct credit-hour values summed and averaged per level group
SELECT c.level_group, sum(DISTINCT c.credit_hours) AS distinct_credit_sum, avg(DISTINCT c.credit_hours) AS distinct_credit_avg, count(DISTINCT c.credit_hours) AS distinct_credit_values
FROM dim_course c
GROUP BY c.level_group
ORDER BY c.level_group;

-- basic aggregates over a literal list with a NULL
SELECT count(*), count(x), sum(x), avg(x), min(x), max(x), stddev_samp(x), var_pop(x)
FROM (VALUES (1), (2), (3), (4), (NULL::int)) AS v(x);

-- ordered-set aggregates over a generated series
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY g) AS median,
       percentile_cont(ARRAY[0.1, 0.9]) WITHIN GROUP (ORDER BY g) AS p10_p90,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY g) AS median_disc,
       mode() WITHIN GROUP (ORDER BY g % 3) AS modal_remainder
FROM generate_series(1, 10) AS g;

-- string_agg, array_agg and boolean aggregates over literal rows
SELECT string_agg(w, '-' ORDER BY w DESC),
       array_agg(n ORDER BY n) FILTER (WHERE n > 1),
       bool_and(b),
       bool_or(b),
       every(n > 0)
FROM (VALUES ('alpha', 1, true), ('gamma', 3, NULL), ('beta', 2, false)) AS v(w, n, b);

-- regression aggregates over literal pairs
SELECT regr_slope(y, x), regr_intercept(y, x), regr_count(y, x), regr_r2(y, x), corr(y, x), covar_pop(y, x), regr_avgx(y, x)
FROM (VALUES (1.0, 2.0), (2.0, 4.5), (3.0, 5.5), (4.0, 8.0), (NULL, 9.0)) AS v(x, y);

-- result types of sum and avg over smallint, integer, bigint and numeric literals
SELECT sum(a) AS sum_small, avg(a) AS avg_small, sum(b) AS sum_int, avg(b) AS avg_int, sum(c) AS sum_big, avg(c) AS avg_big, sum(d) AS sum_num, avg(d) AS avg_num
FROM (VALUES (1::smallint, 10, 100::bigint, 1.25), (2::smallint, 20, 200::bigint, 2.50), (4::smallint, 31, 301::bigint, 3.75)) AS v(a, b, c, d);
