"""The HTML/PNG report and show's thread renderings; fedithreads.report.build runs it."""
