-- credit completion ratio per term: decimal division guarded by nullif
SELECT t.term_code, sum(e.credit_hours_earned) / nullif(sum(e.credit_hours_attempted), 0) AS completion_ratio
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
GROUP BY t.term_code
ORDER BY t.term_code;

-- numeric division of literals keeps the default result scale
SELECT 1::numeric / 3;

-- result scale of several numeric divisions
SELECT 2::numeric / 3 AS two_thirds, 1.0 / 7 AS one_seventh, 100::numeric / 7.00 AS hundred_sevenths, 1 / 3.0::numeric(10,4) AS third_scaled, 22.5 / 0.9 AS exact_quotient;

-- integer division and modulo truncate toward zero
SELECT 10 / 4, 10 % 4, -7 / 2, -7 % 2, 7 / -2, 7 % -2;

-- average grade points (numeric column) by academic division
SELECT d.division, avg(e.grade_points), count(e.grade_points)
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.division
ORDER BY d.division;

-- average section capacity and meetings (smallint columns) by delivery mode
SELECT delivery_mode, avg(capacity) AS avg_capacity, avg(meetings_per_week) AS avg_meetings, sum(capacity) AS total_seats
FROM dim_section
GROUP BY delivery_mode
ORDER BY delivery_mode;

-- round and trunc with and without a scale on an average score
SELECT c.level_group,
       round(avg(e.final_score_pct)) AS score_round0,
       round(avg(e.final_score_pct), 2) AS score_round2,
       trunc(avg(e.final_score_pct)) AS score_trunc0,
       trunc(avg(e.final_score_pct), 1) AS score_trunc1
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
GROUP BY c.level_group
ORDER BY c.level_group;

-- rounding to negative scales for a seats report by campus
SELECT campus, sum(capacity), round(sum(capacity), -2), trunc(sum(capacity)::numeric, -1), round(avg(capacity), -1)
FROM dim_section
GROUP BY campus
ORDER BY campus;

-- float average of sentiment cast to numeric(6,4) per survey type
SELECT survey_type, avg(sentiment_score)::numeric(6,4) AS avg_sentiment, count(sentiment_score) AS scored
FROM fact_feedback
GROUP BY survey_type
ORDER BY survey_type;

-- numeric literals from strings and their arithmetic
SELECT '12.50'::numeric + '0.125'::numeric AS added, '12.50'::numeric * 2 AS doubled, '12.50'::numeric(5,1) AS to_one_place, '0.125'::numeric(4,2) AS half_up, '-0.125'::numeric(4,2) AS neg_half_up;

-- weighted GPA by class level: quality points over attempted GPA credits
SELECT s.class_level,
       sum(e.grade_points * e.credit_hours_attempted) / sum(e.credit_hours_attempted) AS weighted_gpa,
       round(sum(e.grade_points * e.credit_hours_attempted) / sum(e.credit_hours_attempted), 3) AS weighted_gpa_3
FROM fact_enrollment e
JOIN dim_student s ON s.student_key = e.student_key
WHERE e.is_gpa_eligible AND e.grade_points IS NOT NULL
GROUP BY s.class_level
ORDER BY s.class_level;

-- term GPA recomputed from quality points versus the average of stored term GPAs
SELECT term_key, sum(term_quality_points) / nullif(sum(term_gpa_credits), 0), avg(term_gpa), round(avg(term_gpa), 2)
FROM fact_student_term
GROUP BY term_key
ORDER BY term_key;

-- DFW rate percentage for the ten departments with the most enrollments
SELECT d.department_code,
       count(*) AS enrollments,
       round(100.0 * count(*) FILTER (WHERE e.is_dfw) / count(*), 2) AS dfw_pct
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.department_code
ORDER BY enrollments DESC, d.department_code
LIMIT 10;

-- sentiment spread per survey type: float standard deviation and variance
SELECT survey_type, stddev_samp(sentiment_score), var_samp(sentiment_score), stddev_pop(sentiment_score), var_pop(sentiment_score)
FROM fact_feedback
GROUP BY survey_type
ORDER BY survey_type;

-- final score spread per term type: numeric stddev and variance
SELECT t.term_type, stddev(e.final_score_pct) AS sd_score, variance(e.final_score_pct) AS var_score, round(stddev_pop(e.final_score_pct), 4) AS sd_pop_4
FROM fact_enrollment e
JOIN dim_term t ON t.term_key = e.term_key
GROUP BY t.term_type
ORDER BY t.term_type;

-- variance of smallint Likert ratings per survey type
SELECT survey_type, avg(overall_rating), stddev(overall_rating), variance(instructor_rating)
FROM fact_feedback
GROUP BY survey_type
ORDER BY survey_type;

-- sums of decimal credit columns per term snapshot
SELECT term_key, sum(credits_attempted) AS attempted, sum(credits_earned) AS earned, sum(cum_credits_earned) AS cum_earned, sum(term_quality_points) AS quality_points
FROM fact_student_term
GROUP BY term_key
ORDER BY term_key;

-- histogram of final course scores in ten-point buckets
SELECT width_bucket(final_score_pct, 0, 100, 10) AS bucket, count(*) AS students, min(final_score_pct) AS low, max(final_score_pct) AS high
FROM fact_enrollment
WHERE final_score_pct IS NOT NULL
GROUP BY 1
ORDER BY 1;

-- sentiment histogram in four float buckets
SELECT width_bucket(sentiment_score, -1.0, 1.0001, 4), count(*)
FROM fact_feedback
WHERE sentiment_score IS NOT NULL
GROUP BY 1
ORDER BY 1;

-- tardiness grouped in five-minute bands using div() and mod()
SELECT div(minutes_late, 5) AS band, count(*) AS tardies, sum(mod(minutes_late, 5)) AS leftover_minutes
FROM fact_attendance
WHERE minutes_late IS NOT NULL
GROUP BY 1
ORDER BY 1;

-- div and mod on numeric and negative operands
SELECT div(17, 5), mod(17, 5), div(-17, 5), mod(-17, 5), div(17.5, 2), mod(17.5, 2), mod(-17.5::numeric, 2);

-- greatest common divisor and least common multiple of literals
SELECT gcd(48, 180) AS g_int, lcm(12, 18) AS l_int, gcd(1071::bigint, 462::bigint) AS g_big, gcd(7.5, 2.25) AS g_num, lcm(0.5, 0.75) AS l_num, gcd(-12, 0) AS g_neg;

-- sections by capacity with the gcd and lcm of capacity and weekly meetings
SELECT capacity, meetings_per_week, gcd(capacity::int, meetings_per_week::int), lcm(capacity::int, meetings_per_week::int), count(*)
FROM dim_section
GROUP BY capacity, meetings_per_week
ORDER BY capacity, meetings_per_week;

-- scale() of stored decimals and of aggregates over them
SELECT c.level_group, scale(min(c.credit_hours)), scale(sum(c.credit_hours)), scale(avg(c.credit_hours)), scale(sum(c.credit_hours) / count(*))
FROM dim_course c
GROUP BY c.level_group
ORDER BY c.level_group;

-- numeric comparison ignores trailing zeros while float comparison is inexact
SELECT 3.0 = 3 AS num_eq_int, 3.00::numeric = 3.0::numeric AS num_scales_eq, 0.1 + 0.2 = 0.3 AS num_sum_exact, 0.1::float8 + 0.2::float8 = 0.3::float8 AS float_sum_exact, 2.50 > 2.5 AS gt_same_value, 1.999 < 2 AS lt_int;

-- students by high-school GPA band using numeric range predicates
SELECT CASE WHEN hs_gpa >= 3.50 THEN 'HIGH' WHEN hs_gpa BETWEEN 3.00 AND 3.49 THEN 'MID' WHEN hs_gpa < 3.00 THEN 'LOW' END AS band,
       count(*) AS students,
       avg(hs_gpa) AS avg_hs_gpa
FROM dim_student
WHERE is_current AND hs_gpa IS NOT NULL
GROUP BY 1
ORDER BY 1;

-- ceil, floor, abs and sign on numeric averages of performance by assessment type
SELECT assessment_type, ceil(avg(score_pct)), floor(avg(score_pct)), ceiling(avg(score) - avg(max_score)), abs(avg(score) - avg(max_score)), sign(avg(score_pct) - 75)
FROM fact_performance
GROUP BY assessment_type
ORDER BY assessment_type;

-- float8 math on the mean sentiment per language
SELECT language_code,
       sqrt(avg(sentiment_score) + 1) AS sqrt_shifted,
       power(avg(sentiment_score), 2) AS squared,
       exp(avg(sentiment_score)) AS exp_mean,
       ln(avg(sentiment_score) + 2) AS ln_shifted,
       abs(min(sentiment_score)) AS abs_min,
       sign(avg(sentiment_score)) AS sign_mean
FROM fact_feedback
WHERE sentiment_score IS NOT NULL
GROUP BY language_code
ORDER BY language_code;

-- geometric mean section capacity per campus via exp(avg(ln()))
SELECT campus, round(exp(avg(ln(capacity::float8)))::numeric, 6), round(avg(capacity), 6)
FROM dim_section
GROUP BY campus
ORDER BY campus;

-- float8 elementary functions on literals
SELECT sqrt(2::float8), cbrt(27::float8), power(2::float8, 10), power(2::float8, 0.5), exp(1::float8), ln(10::float8), log(1000::float8), pi();

-- numeric elementary functions keep numeric precision
SELECT sqrt(2::numeric), power(1.05, 5), power(2::numeric, 10), exp(1.0), ln(2.0), log(100::numeric), log(2, 64), 2.0 ^ 3;

-- rounding half cases: numeric rounds away from zero, float8 to even
SELECT round(2.5) AS num_2_5, round(-2.5) AS num_neg_2_5, round(2.5::float8) AS flt_2_5, round(3.5::float8) AS flt_3_5, 2.5::int AS num_cast_int, 2.5::float8::int AS flt_cast_int, (-3.5)::numeric::int AS neg_num_cast_int;

-- integer versus numeric average of tardy minutes per campus
SELECT sec.campus,
       sum(a.minutes_late) / count(a.minutes_late) AS int_avg,
       sum(a.minutes_late)::numeric / count(a.minutes_late) AS num_avg,
       avg(a.minutes_late) AS builtin_avg
FROM fact_attendance a
JOIN dim_section sec ON sec.section_key = a.section_key
WHERE a.minutes_late IS NOT NULL
GROUP BY sec.campus
ORDER BY sec.campus;

-- share of enrollments per division as a percentage of the total
SELECT d.division, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 3), 100 * count(*) / sum(count(*)) OVER ()
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.division
ORDER BY d.division;

-- average credits earned per student per term (average of per-student sums)
SELECT term_key, avg(earned) AS avg_earned, max(earned) AS max_earned, percentile_disc(0.5) WITHIN GROUP (ORDER BY earned) AS median_earned
FROM (
  SELECT term_key, student_id, sum(credit_hours_earned) AS earned
  FROM fact_enrollment
  GROUP BY term_key, student_id
) per_student
GROUP BY term_key
ORDER BY term_key;

-- average and total FTE of current instructors by academic rank
SELECT academic_rank, avg(fte), sum(fte), min(fte), max(fte), count(*)
FROM dim_instructor
WHERE is_current
GROUP BY academic_rank
ORDER BY academic_rank;

-- faculty FTE by college with a numeric(5,2) cast of the ratio to headcount
SELECT d.college_code, sum(i.fte) AS total_fte, count(*) AS headcount, (sum(i.fte) / count(*))::numeric(5,2) AS fte_per_head
FROM dim_instructor i
JOIN dim_department d ON d.department_key = i.department_key
WHERE i.is_current
GROUP BY d.college_code
ORDER BY d.college_code;

-- conferred GPA statistics by degree level
SELECT degree_level, avg(final_cum_gpa) AS avg_gpa, min(final_cum_gpa) AS min_gpa, max(final_cum_gpa) AS max_gpa, stddev_pop(final_cum_gpa) AS sd_gpa
FROM fact_degree
GROUP BY degree_level
ORDER BY degree_level;

-- seat utilization per campus: enrolled seats over capacity
SELECT sec.campus,
       sum(x.enrolled)::numeric / sum(sec.capacity),
       avg(x.enrolled::numeric / sec.capacity),
       avg(x.enrolled / sec.capacity)
FROM dim_section sec
JOIN (
  SELECT section_key, count(*) AS enrolled
  FROM fact_enrollment
  WHERE enrollment_status <> 'DROPPED'
  GROUP BY section_key
) x ON x.section_key = sec.section_key
GROUP BY sec.campus
ORDER BY sec.campus;

-- attendance rate per delivery mode from boolean-to-integer averages
SELECT sec.delivery_mode, avg(a.is_present::int) AS present_rate, round(100.0 * sum(CASE WHEN a.is_present THEN 1 ELSE 0 END) / count(*), 2) AS present_pct
FROM fact_attendance a
JOIN dim_section sec ON sec.section_key = a.section_key
GROUP BY sec.delivery_mode
ORDER BY sec.delivery_mode;

-- aggregate score percentage by assessment type from summed numerators and denominators
SELECT assessment_type, 100 * sum(score) / sum(max_score), avg(score_pct), sum(weight_pct)
FROM fact_performance
WHERE score IS NOT NULL
GROUP BY assessment_type
ORDER BY assessment_type;

-- weight-averaged assessment score for the 15 courses with the most graded work
SELECT c.course_id,
       count(*) AS items,
       round(sum(p.score_pct * p.weight_pct) / sum(p.weight_pct), 4) AS weighted_score
FROM fact_performance p
JOIN dim_course c ON c.course_key = p.course_key
WHERE p.score_pct IS NOT NULL
GROUP BY c.course_id
ORDER BY items DESC, c.course_id
LIMIT 15;

-- float8 output formatting of small, large and inexact values
SELECT 1e-5::float8 AS tiny, 1e16::float8 AS big, 123456789012345678::float8 AS huge_int, 0.1::float8 * 3 AS inexact, 1.0::float8 / 3 AS third, -0.0::float8 AS neg_zero, 2.5e-10::float8 * 4 AS sci;

-- fractional assessment scores: numeric mod by one
SELECT assessment_type, count(*) FILTER (WHERE mod(score, 1) <> 0), sum(mod(score, 1)), max(score % 1)
FROM fact_performance
WHERE score IS NOT NULL
GROUP BY assessment_type
ORDER BY assessment_type;

-- average credits per student term cast to numeric(5,2) by class level
SELECT class_level, (sum(credits_earned) / count(*))::numeric(5,2) AS earned_per_term, sum(credits_earned) / count(*) AS raw_ratio, count(*) AS terms
FROM fact_student_term
GROUP BY class_level
ORDER BY class_level;

-- integer sums widen: smallint to bigint and bigint to numeric
SELECT t.term_type, sum(sec.capacity), sum(sec.capacity::int * sec.meetings_per_week), sum(sec.section_key::bigint), avg(sec.section_key::bigint)
FROM dim_section sec
JOIN dim_term t ON t.term_key = sec.term_key
GROUP BY t.term_type
ORDER BY t.term_type;

-- share of feedback rows by survey type computed in float8
SELECT survey_type, count(*)::float8 / (SELECT count(*) FROM fact_feedback) AS share, count(*)::float8 AS n_float
FROM fact_feedback
GROUP BY survey_type
ORDER BY survey_type;

-- courses whose average grade points exceed 3.2 (numeric comparison in HAVING)
SELECT c.course_id, avg(e.grade_points) AS avg_gp, count(e.grade_points) AS graded
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
GROUP BY c.course_id
HAVING avg(e.grade_points) > 3.2 AND count(e.grade_points) >= 20
ORDER BY avg_gp DESC, c.course_id;

-- distinct FTE values in numeric order
SELECT DISTINCT fte, fte * 40 AS weekly_hours, fte::float8 AS fte_float
FROM dim_instructor
ORDER BY fte;

-- gap between term and cumulative GPA: sign counts and mean absolute gap
SELECT sign(term_gpa - cum_gpa) AS direction, count(*) AS terms, avg(abs(term_gpa - cum_gpa)) AS mean_abs_gap, max(abs(term_gpa - cum_gpa)) AS max_abs_gap
FROM fact_student_term
WHERE term_gpa IS NOT NULL AND cum_gpa IS NOT NULL
GROUP BY 1
ORDER BY 1;

-- numeric average cast to float8 and float8 average cast to numeric
SELECT d.division, avg(e.final_score_pct)::float8, avg(e.final_score_pct::float8), round(avg(e.final_score_pct::float8)::numeric, 8)
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
GROUP BY d.division
ORDER BY d.division;

-- median and quartiles of final scores: continuous (float8) versus discrete (numeric)
SELECT c.level_group,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY e.final_score_pct),
       percentile_cont(0.25) WITHIN GROUP (ORDER BY e.final_score_pct),
       percentile_disc(0.75) WITHIN GROUP (ORDER BY e.final_score_pct)
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
GROUP BY c.level_group
ORDER BY c.level_group;

-- pass rate and points per credit hour for gateway versus non-gateway courses
SELECT c.is_gateway,
       round(avg(e.is_pass::int) * 100, 1) AS pass_pct,
       sum(e.grade_points * e.credit_hours_attempted) / nullif(sum(e.credit_hours_attempted) FILTER (WHERE e.grade_points IS NOT NULL), 0) AS gpa,
       sum(e.credit_hours_earned) AS earned
FROM fact_enrollment e
JOIN dim_course c ON c.course_key = e.course_key
GROUP BY c.is_gateway
ORDER BY c.is_gateway;

-- large and tiny numeric arithmetic keeps exact digits
SELECT 123456789012345678901234567890.123 + 0.877, 99999999999999999999::numeric * 99999999999999999999, 0.000000001::numeric / 3, 1::numeric / 1024, (2::numeric ^ 64)::text;

-- Likert rating correlation and regression slope (float8 aggregates) per survey type
SELECT survey_type, round(corr(overall_rating, course_rating)::numeric, 10), round(regr_slope(overall_rating, instructor_rating)::numeric, 10), regr_count(overall_rating, workload_rating)
FROM fact_feedback
GROUP BY survey_type
ORDER BY survey_type;

-- numeric(p,s) casts round and change the displayed scale
SELECT 3.14159::numeric(4,2), 3.145::numeric(4,2), 2::numeric(5,3), 0.5::numeric(2,0), 99.994::numeric(4,2), -1.005::numeric(5,2);

-- departments ranked by GPA-credit weighted term GPA of their students' majors
SELECT d.department_code,
       sum(st.term_gpa * st.term_gpa_credits) / nullif(sum(st.term_gpa_credits), 0) AS weighted_term_gpa,
       sum(st.term_gpa_credits) AS gpa_credits
FROM fact_student_term st
JOIN dim_program p ON p.program_key = st.program_key
JOIN dim_department d ON d.department_key = p.department_key
WHERE st.term_gpa IS NOT NULL
GROUP BY d.department_code
ORDER BY weighted_term_gpa DESC, d.department_code
LIMIT 12;
