"""demarche's tests: pure functions, spider callbacks on saved pages, and
end-to-end crawls over loopback HTTP into real databases."""
