// Package reports renders the result of a bisect run: a markdown appendix
// for an issue or pull request, a JSON document for machines (its schema is
// docs/report.schema.json), and the GitHub Actions step summary.
package reports
