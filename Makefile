# Plain `make` builds with apxs.mk; every target lives there.
include apxs.mk
