"""nbgrader configuration of the GAN course.

`solutions/` holds the source notebooks (with solutions and hidden tests);
`course/` holds the released student notebooks. Both live in the repository;
`python -m autograder.release` regenerates `course/` from `solutions/`.
"""

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "gan-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"

# Graded notebooks run the `smoke` profile under the autograder (gankit.profiles reads
# NBGRADER_EXECUTION), so no cell should need long; this bounds a runaway submission.
# nbgrader 0.9 reads Execute.timeout (the old ExecutePreprocessor.timeout is ignored).
c.Execute.timeout = 300

# What a learner sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
