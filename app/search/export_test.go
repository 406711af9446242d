package search

// SetPageSize makes eachHit ask for n hits at a time until the returned func restores it.
func SetPageSize(n int) (restore func()) {
	old := pageSize
	pageSize = n
	return func() { pageSize = old }
}
