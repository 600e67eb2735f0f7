// Package redact removes credentials from text before it reaches a log, a
// check detail, a report or a journal: the secrets a caller lists, and
// what is a credential by its shape (credential headers, Bearer tokens,
// credential parameters in queries, forms and JSON, URL user information).
// Every oracle, the hunt and the command line use it.
package redact
