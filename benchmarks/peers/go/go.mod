module libgort.invalid/benchmarks/peers/go

// The oldest Go this must build with: Debian 12's golang-go (1.19). No requirements:
// std only, built offline (GOPROXY=off, GOTOOLCHAIN=local).
go 1.19
