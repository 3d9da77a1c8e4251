// Package testservers starts real servers on loopback for tests: each
// helper listens on 127.0.0.1:0, serves what the test prepared, and stops
// (closing every connection it accepted) when the test ends.
//
// # SFTP
//
// SFTP and StartSFTP run an SSH server (password and public-key auth)
// whose sftp subsystem serves a temporary directory as "/": a client sees
// only that directory, as on a chrooted SFTP host.
package testservers
