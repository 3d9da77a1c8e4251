// Package auth holds the building blocks of signing in: password hashes,
// bearer tokens and the lockout policy. It keeps no state of its own: the
// store keeps users and their failed logins, the server wires the pieces.
//
// # Passwords
//
// [HashPassword] hashes with argon2id and returns the hash in PHC string form,
// which carries its own parameters, so [CheckPassword] still verifies hashes
// made before the parameters change.
//
// # Tokens
//
// [Tokens] issues and verifies HS256 JWTs whose subject is the user id and
// whose "typ" claim is the user type. A token that fails verification is a
// [*TokenError], which matches [qluster.ErrUnauthenticated].
//
// # Lockout
//
// [Locked] decides from a user's recent failed logins whether the account is
// locked, and until when; see its documentation for the rule.
package auth
