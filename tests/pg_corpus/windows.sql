-- top 3 courses by enrollment in each STEM department via row_number in a subquery
SELECT department_code, course_id, enrollments, rn
FROM (
  SELECT d.department_code,
         c.course_id,
         count(*) AS enrollments,
         row_number() OVER (PARTITION BY d.department_code ORDER BY count(*) DESC, c.course_id) AS rn
  FROM fact_enrollment e
  JOIN dim_course c ON c.course_key = e.course_key
  JOIN dim_department d ON d.department_key = c.department_key
  WHERE d.division = 'STEM'
  GROUP BY d.department_code, c.course_id
) ranked
WHERE rn <= 3
ORDER BY department_code, rn;

-- departments ranked by rounded DFW percentage with row_number, rank and dense_rank
SELECT department_code,
       dfw_pct,
       row_number() OVER (ORDER BY dfw_pct DESC, department_code),
       rank() OVER (ORDER BY dfw_pct DESC),
       dense_rank() OVER (ORDER BY dfw_pct DESC)
FROM (
  SELECT d.department_code, round(100.0 * avg(CASE WHEN e.is_dfw THEN 1 ELSE 0 END), 0) AS dfw_pct
  FROM fact_enrollment e
  JOIN dim_department d ON d.department_key = e.department_key
  GROUP BY d.department_code
) x
ORDER BY 3;

-- percent_rank and cume_dist of gateway courses by average final score within their division
SELECT d.division,
       c.course_id,
       round(avg(e.final_score_pct), 2) AS avg_score,
       percent_rank() OVER (PARTITION BY d.division ORDER BY round(avg(e.final_score_pct), 2)) AS pct_rank,
       cume_dist() OVER (PARTITION BY d.division ORDER BY round(avg(e.final_score_pct), 2)) AS cum_dist
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
JOIN dim_department d ON d.department_key = c.department_key
WHERE c.is_gateway
GROUP BY d.division, c.course_id
ORDER BY d.division, c.course_id;

-- departments split into enrollment quartiles with ntile
SELECT d.department_code,
       count(DISTINCT e.student_id) AS students,
       ntile(4) OVER (ORDER BY count(DISTINCT e.student_id) DESC, d.department_code) AS quartile
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.department_code
ORDER BY quartile, students DESC, d.department_code;

-- term headcount with previous term, next term (default 0) and same term one year earlier
SELECT t.term_seq,
       t.term_code,
       count(DISTINCT st.student_id) AS headcount,
       lag(count(DISTINCT st.student_id)) OVER (ORDER BY t.term_seq) AS prev_term,
       lead(count(DISTINCT st.student_id), 1, 0::bigint) OVER (ORDER BY t.term_seq) AS next_term,
       lag(count(DISTINCT st.student_id), 3) OVER (ORDER BY t.term_seq) AS same_term_last_year
FROM fact_student_term st
JOIN dim_term t ON t.term_key = st.term_key
GROUP BY t.term_seq, t.term_code
ORDER BY t.term_seq;

-- year-over-year enrollment change per term type with lag partitioned by term type
SELECT term_type, term_code, enrollments,
       enrollments - lag(enrollments) OVER (PARTITION BY term_type ORDER BY term_key),
       round(100.0 * (enrollments - lag(enrollments) OVER (PARTITION BY term_type ORDER BY term_key))
             / lag(enrollments) OVER (PARTITION BY term_type ORDER BY term_key), 1)
FROM (
  SELECT t.term_key, t.term_type, t.term_code, count(*) AS enrollments
  FROM fact_enrollment e
  JOIN dim_term t ON t.term_key = e.term_key
  GROUP BY t.term_key, t.term_type, t.term_code
) per_term
ORDER BY term_type, term_code;

-- largest, smallest and second-largest department of each college by enrollment, full frame
SELECT DISTINCT d.college_code,
       first_value(d.department_code) OVER w AS largest_department,
       last_value(d.department_code) OVER w AS smallest_department,
       nth_value(d.department_code, 2) OVER w AS second_department
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.college_code, d.department_code
WINDOW w AS (PARTITION BY d.college_code ORDER BY count(*) DESC, d.department_code
             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
ORDER BY d.college_code;

-- running credits earned and attempted for one student across terms
SELECT st.term_key,
       st.credits_attempted,
       st.credits_earned,
       sum(st.credits_earned) OVER (ORDER BY st.term_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
       sum(st.credits_attempted) OVER (ORDER BY st.term_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
       st.cum_credits_earned
FROM fact_student_term st
WHERE st.student_id = 'S0000228'
ORDER BY st.term_key;

-- cumulative GPA recomputed from quality points and GPA credits, next to the stored value
SELECT st.student_id,
       st.term_key,
       st.term_gpa,
       round(sum(st.term_quality_points) OVER w / NULLIF(sum(st.term_gpa_credits) OVER w, 0), 2) AS recomputed_cum_gpa,
       st.cum_gpa
FROM fact_student_term st
WHERE st.student_id IN ('S0000011', 'S0000256')
WINDOW w AS (PARTITION BY st.student_id ORDER BY st.term_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY st.student_id, st.term_key;

-- three-week moving average of the weekly attendance rate
SELECT week_of_term,
       present_rate,
       avg(present_rate) OVER (ORDER BY week_of_term ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS moving_avg_3wk
FROM (
  SELECT dd.week_of_term, round(avg(CASE WHEN a.is_present THEN 1.0 ELSE 0.0 END), 4) AS present_rate
  FROM fact_attendance a
  JOIN dim_date dd ON dd.date_key = a.date_key
  GROUP BY dd.week_of_term
) w
ORDER BY week_of_term;

-- moving average of enrollments over the last three terms, a window over an aggregate
SELECT t.term_seq,
       count(*),
       avg(count(*)) OVER (ORDER BY t.term_seq ROWS BETWEEN 2 PRECEDING AND CURRENT ROW),
       min(count(*)) OVER (ORDER BY t.term_seq ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
GROUP BY t.term_seq
ORDER BY t.term_seq;

-- gateway courses with the number of gateway courses whose average score is within 2 points (numeric RANGE offset)
SELECT course_id,
       avg_score,
       count(*) OVER (ORDER BY avg_score RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS similar_courses,
       min(avg_score) OVER (ORDER BY avg_score RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS band_low
FROM (
  SELECT c.course_id, round(avg(e.final_score_pct), 1) AS avg_score
  FROM fact_enrollment e
  JOIN dim_course c ON c.course_key = e.course_key
  WHERE c.is_gateway
  GROUP BY c.course_id
) g
ORDER BY course_id;

-- enrollments over the trailing academic year using RANGE on the integer term key
SELECT term_key,
       enrollments,
       sum(enrollments) OVER (ORDER BY term_key RANGE BETWEEN 100 PRECEDING AND CURRENT ROW) AS trailing_year,
       count(*) OVER (ORDER BY term_key RANGE BETWEEN 100 PRECEDING AND CURRENT ROW) AS terms_in_window
FROM (
  SELECT e.term_key, count(*) AS enrollments
  FROM fact_enrollment e
  GROUP BY e.term_key
) x
ORDER BY term_key;

-- seven-day rolling registrations for Fall 2024 using a RANGE frame over dates
SELECT dd.full_date,
       count(*),
       sum(count(*)) OVER (ORDER BY dd.full_date RANGE BETWEEN INTERVAL '6 days' PRECEDING AND CURRENT ROW)
FROM fact_enrollment e
JOIN dim_date dd ON dd.date_key = e.registration_date_key
WHERE e.term_key = 202410
GROUP BY dd.full_date
ORDER BY dd.full_date;

-- Computer Science and Mathematics courses with counts of courses at the same and adjacent levels (GROUPS frame)
SELECT c.course_id,
       c.course_level,
       count(*) OVER (ORDER BY c.course_level GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS nearby_courses,
       sum(c.credit_hours) OVER (ORDER BY c.course_level GROUPS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS credits_up_to_level
FROM dim_course c
JOIN dim_department d ON d.department_key = c.department_key
WHERE d.department_code IN ('CS', 'MATH')
ORDER BY c.course_level, c.course_id;

-- each department's DFW rate against the average of the other departments in its college (EXCLUDE CURRENT ROW)
SELECT college_code,
       department_code,
       dfw_rate,
       round(avg(dfw_rate) OVER (PARTITION BY college_code ORDER BY department_code
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                                 EXCLUDE CURRENT ROW), 4) AS others_avg
FROM (
  SELECT d.college_code, d.department_code, round(avg(CASE WHEN e.is_dfw THEN 1.0 ELSE 0 END), 4) AS dfw_rate
  FROM fact_enrollment e
  JOIN dim_department d ON d.department_key = e.department_key
  GROUP BY d.college_code, d.department_code
) x
ORDER BY college_code, department_code;

-- share of all enrollments per division with sum(count(*)) OVER ()
SELECT d.division,
       count(*),
       sum(count(*)) OVER (),
       round(100.0 * count(*) / sum(count(*)) OVER (), 2)
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.division
ORDER BY d.division;

-- each department's share of its college's earned credits
SELECT d.college_code,
       d.department_code,
       sum(e.credit_hours_earned) AS credits,
       round(sum(e.credit_hours_earned) / sum(sum(e.credit_hours_earned)) OVER (PARTITION BY d.college_code), 4) AS share_of_college,
       rank() OVER (PARTITION BY d.college_code ORDER BY sum(e.credit_hours_earned) DESC) AS rank_in_college
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
WHERE d.college_code IN ('CNS', 'COE', 'SOB')
GROUP BY d.college_code, d.department_code
ORDER BY d.college_code, d.department_code;

-- named windows, one refining another with a running frame, per term type
SELECT t.term_type,
       t.term_code,
       count(*) AS enrollments,
       row_number() OVER w AS nth_term_of_type,
       sum(count(*)) OVER w_running AS running_enrollments,
       first_value(t.term_code) OVER w_running AS first_term_of_type
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
GROUP BY t.term_type, t.term_code, t.term_key
WINDOW w AS (PARTITION BY t.term_type ORDER BY t.term_key),
       w_running AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY t.term_type, t.term_code;

-- top two instructors per college by average course-evaluation rating (ties broken by instructor id)
SELECT college_code, instructor_id, avg_rating, responses
FROM (
  SELECT d.college_code,
         i.instructor_id,
         round(avg(f.overall_rating), 3) AS avg_rating,
         count(f.overall_rating) AS responses,
         row_number() OVER (PARTITION BY d.college_code ORDER BY round(avg(f.overall_rating), 3) DESC, i.instructor_id) AS rn
  FROM fact_feedback f
  JOIN dim_instructor i ON i.instructor_key = f.instructor_key
  JOIN dim_department d ON d.department_key = i.department_key
  WHERE f.survey_type = 'COURSE_EVAL'
  GROUP BY d.college_code, i.instructor_id
  HAVING count(f.overall_rating) >= 10
) x
WHERE rn <= 2
ORDER BY college_code, rn;

-- courses ranking in the top three by enrollment within each term type, with rank and dense_rank
SELECT term_type, course_id, enrollments, rnk, drnk
FROM (
  SELECT t.term_type,
         c.course_id,
         count(*) AS enrollments,
         rank() OVER (PARTITION BY t.term_type ORDER BY count(*) DESC) AS rnk,
         dense_rank() OVER (PARTITION BY t.term_type ORDER BY count(*) DESC) AS drnk
  FROM fact_enrollment e
  JOIN dim_term t ON t.term_key = e.term_key
  JOIN dim_course c ON c.course_key = e.course_key
  GROUP BY t.term_type, c.course_id
) x
WHERE rnk <= 3
ORDER BY term_type, rnk, course_id;

-- distribution of gaps between consecutive enrolled terms per student (stop-out detection with lag)
SELECT gap, count(*) AS transitions, count(DISTINCT student_id) AS students
FROM (
  SELECT st.student_id,
         t.term_seq - lag(t.term_seq) OVER (PARTITION BY st.student_id ORDER BY t.term_seq) AS gap
  FROM fact_student_term st
  JOIN dim_term t ON t.term_key = st.term_key
) g
WHERE gap IS NOT NULL
GROUP BY gap
ORDER BY gap;

-- fall-to-next-fall retention using lead over each student's enrolled terms
SELECT term_code,
       count(*),
       count(*) FILTER (WHERE next_fall_seq = term_seq + 3),
       round(avg(CASE WHEN next_fall_seq = term_seq + 3 THEN 1.0 ELSE 0 END), 4)
FROM (
  SELECT st.student_id,
         t.term_code,
         t.term_seq,
         lead(t.term_seq) OVER (PARTITION BY st.student_id ORDER BY t.term_seq) AS next_fall_seq
  FROM fact_student_term st
  JOIN dim_term t ON t.term_key = st.term_key
  WHERE t.term_type = 'FALL'
) f
GROUP BY term_code
ORDER BY term_code;

-- running count of DFW outcomes per term using an aggregate FILTER inside a window
SELECT e.term_key,
       count(*) FILTER (WHERE e.is_dfw) AS dfw_this_term,
       sum(count(*) FILTER (WHERE e.is_dfw)) OVER (ORDER BY e.term_key ROWS UNBOUNDED PRECEDING) AS dfw_to_date,
       count(*) FILTER (WHERE e.is_dfw) - lag(count(*) FILTER (WHERE e.is_dfw), 1, 0::bigint) OVER (ORDER BY e.term_key) AS change
FROM fact_enrollment e
GROUP BY e.term_key
ORDER BY e.term_key;

-- term sequence with the term two ahead (default text) and two behind
SELECT t.term_seq,
       t.term_code,
       lead(t.term_code, 2, 'n/a') OVER (ORDER BY t.term_seq),
       lag(t.term_code, 2, 'n/a') OVER (ORDER BY t.term_seq),
       lag(t.start_date) OVER (ORDER BY t.term_seq)
FROM dim_term t
ORDER BY t.term_seq;

-- running best and worst term GPA for two students, with the term count so far
SELECT st.student_id,
       st.term_key,
       st.term_gpa,
       max(st.term_gpa) OVER w AS best_so_far,
       min(st.term_gpa) OVER w AS worst_so_far,
       count(st.term_gpa) OVER w AS gpa_terms_so_far
FROM fact_student_term st
WHERE st.student_id IN ('S0000228', 'S0000279')
WINDOW w AS (PARTITION BY st.student_id ORDER BY st.term_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY st.student_id, st.term_key;

-- percentile position of honors graduates' final GPA among all graduates of the same degree level
SELECT degree_id, degree_level, honors, final_cum_gpa, pr, cd
FROM (
  SELECT f.degree_id,
         f.degree_level,
         f.honors,
         f.final_cum_gpa,
         round(percent_rank() OVER (PARTITION BY f.degree_level ORDER BY f.final_cum_gpa)::numeric, 6) AS pr,
         round(cume_dist() OVER (PARTITION BY f.degree_level ORDER BY f.final_cum_gpa)::numeric, 6) AS cd
  FROM fact_degree f
) x
WHERE honors IS NOT NULL
ORDER BY degree_id;

-- each course's enrollment against its department average (window without ORDER BY)
SELECT d.department_code,
       c.course_id,
       count(*) AS enrollments,
       round(avg(count(*)) OVER (PARTITION BY d.department_code), 2) AS dept_avg,
       count(*) OVER (PARTITION BY d.department_code) AS dept_courses,
       max(count(*)) OVER (PARTITION BY d.department_code) AS dept_max
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
JOIN dim_department d ON d.department_key = c.department_key
WHERE d.college_code = 'CNS'
GROUP BY d.department_code, c.course_id
ORDER BY d.department_code, c.course_id;

-- cumulative grade distribution ordered by grade points for letter grades
SELECT e.final_grade,
       e.grade_points,
       count(*),
       sum(count(*)) OVER (ORDER BY e.grade_points DESC, e.final_grade),
       round(100.0 * sum(count(*)) OVER (ORDER BY e.grade_points DESC, e.final_grade) / sum(count(*)) OVER (), 2)
FROM fact_enrollment e
WHERE e.grade_points IS NOT NULL
GROUP BY e.final_grade, e.grade_points
ORDER BY e.grade_points DESC, e.final_grade;

-- day-by-day present rate for one section with a three-meeting moving average
SELECT a.date_key,
       count(*) AS roster,
       count(*) FILTER (WHERE a.is_present) AS present,
       round(avg(count(*) FILTER (WHERE a.is_present)) OVER (ORDER BY a.date_key ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), 2) AS present_ma3
FROM fact_attendance a
WHERE a.section_key = (SELECT min(s.section_key) FROM dim_section s WHERE s.takes_attendance AND s.term_key = 202410)
GROUP BY a.date_key
ORDER BY a.date_key;

-- degrees conferred per term with a running total (ROWS UNBOUNDED PRECEDING shorthand)
SELECT t.term_code,
       count(*) AS degrees,
       sum(count(*)) OVER (ORDER BY t.term_seq ROWS UNBOUNDED PRECEDING) AS degrees_to_date,
       round(avg(avg(f.final_cum_gpa)) OVER (ORDER BY t.term_seq ROWS UNBOUNDED PRECEDING), 4) AS running_avg_of_term_avgs
FROM fact_degree f
JOIN dim_term t ON t.term_key = f.conferral_term_key
GROUP BY t.term_code, t.term_seq
ORDER BY t.term_code;

-- term GPA quartile boundaries in Fall 2024 using ntile over a total order
SELECT quartile, count(*), min(term_gpa), max(term_gpa), avg(term_gpa)
FROM (
  SELECT st.term_gpa, ntile(4) OVER (ORDER BY st.term_gpa, st.student_id) AS quartile
  FROM fact_student_term st
  WHERE st.term_key = 202410 AND st.term_gpa IS NOT NULL
) q
GROUP BY quartile
ORDER BY quartile;

-- per-term enrollment change for the Mathematics department with lag and lead defaults
SELECT t.term_code,
       count(*) AS enrollments,
       lag(count(*), 1, 0::bigint) OVER (ORDER BY t.term_seq) AS prev_enrollments,
       lead(count(*), 1, 0::bigint) OVER (ORDER BY t.term_seq) AS next_enrollments,
       count(*) - first_value(count(*)) OVER (ORDER BY t.term_seq) AS change_since_first
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
JOIN dim_department d ON d.department_key = e.department_key
WHERE d.department_code = 'MATH'
GROUP BY t.term_code, t.term_seq
ORDER BY t.term_code;

-- rank divisions within each term type by average evaluation rating, window over grouped rows
SELECT t.term_type,
       d.division,
       round(avg(f.overall_rating), 3),
       rank() OVER (PARTITION BY t.term_type ORDER BY avg(f.overall_rating) DESC),
       count(*)
FROM fact_feedback f
JOIN dim_term t ON t.term_key = f.term_key
JOIN dim_course c ON c.course_key = f.course_key
JOIN dim_department d ON d.department_key = c.department_key
GROUP BY t.term_type, d.division
ORDER BY t.term_type, d.division;

-- latest SCD2 version per student via row_number, summarised by class level
SELECT class_level, count(*), count(*) FILTER (WHERE is_current)
FROM (
  SELECT s.student_id,
         s.class_level,
         s.is_current,
         row_number() OVER (PARTITION BY s.student_id ORDER BY s.version_no DESC) AS rn
  FROM dim_student s
) latest
WHERE rn = 1
GROUP BY class_level
ORDER BY class_level;

-- instructor SCD2 history: what changed between consecutive versions (lag per instructor)
SELECT instructor_id, effective_from, prev_rank, academic_rank, prev_fte, fte
FROM (
  SELECT i.instructor_id,
         i.effective_from,
         i.academic_rank,
         i.fte,
         lag(i.academic_rank) OVER (PARTITION BY i.instructor_id ORDER BY i.effective_from) AS prev_rank,
         lag(i.fte) OVER (PARTITION BY i.instructor_id ORDER BY i.effective_from) AS prev_fte
  FROM dim_instructor i
) v
WHERE prev_rank IS NOT NULL
ORDER BY instructor_id, effective_from;

-- cumulative share of sections by capacity and meetings per week with the default RANGE frame
SELECT s.capacity,
       s.meetings_per_week,
       count(*),
       sum(count(*)) OVER (ORDER BY s.capacity, s.meetings_per_week),
       round(cume_dist() OVER (ORDER BY s.capacity, s.meetings_per_week)::numeric, 4),
       sum(count(*)) OVER (PARTITION BY s.capacity)
FROM dim_section s
GROUP BY s.capacity, s.meetings_per_week
ORDER BY s.capacity, s.meetings_per_week;

-- ranking functions over literal values with ties
SELECT v, id,
       row_number() OVER (ORDER BY v, id),
       rank() OVER (ORDER BY v),
       dense_rank() OVER (ORDER BY v),
       percent_rank() OVER (ORDER BY v),
       cume_dist() OVER (ORDER BY v),
       ntile(3) OVER (ORDER BY v, id)
FROM (VALUES (10, 1), (20, 2), (20, 3), (30, 4), (40, 5), (40, 6), (40, 7)) AS t(v, id)
ORDER BY id;

-- ROWS, RANGE and GROUPS frames side by side over duplicated literal values
SELECT id, v,
       sum(v) OVER (ORDER BY v, id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS rows_sum,
       sum(v) OVER (ORDER BY v RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS range_sum,
       sum(v) OVER (ORDER BY v GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) AS groups_sum,
       sum(v) OVER (ORDER BY v) AS default_frame_sum
FROM (VALUES (1, 1), (2, 2), (3, 2), (4, 3), (5, 5), (6, 6)) AS t(id, v)
ORDER BY id;

-- EXCLUDE CURRENT ROW, EXCLUDE GROUP and EXCLUDE TIES over literal peers
SELECT id, v,
       sum(v) OVER (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW),
       count(*) OVER (ORDER BY v RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE GROUP),
       sum(id) OVER (ORDER BY v GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES)
FROM (VALUES (1, 10), (2, 10), (3, 20), (4, 30), (5, 30), (6, 30)) AS t(id, v)
ORDER BY id;

-- lag and lead with offsets and defaults over a generated series
SELECT g,
       lag(g) OVER (ORDER BY g) AS prev,
       lag(g, 2, -1) OVER (ORDER BY g) AS prev2,
       lead(g * 10, 3, 0) OVER (ORDER BY g) AS next3_times10,
       first_value(g) OVER (ORDER BY g ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) AS first_of_next_two,
       nth_value(g, 3) OVER (ORDER BY g ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS third,
       last_value(g) OVER (ORDER BY g RANGE BETWEEN CURRENT ROW AND 2 FOLLOWING) AS last_within_2
FROM generate_series(1, 8) AS g
ORDER BY g;
