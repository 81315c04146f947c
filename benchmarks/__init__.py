"""The ``make bench-*`` scripts: each prints its figures. Not shipped: no
package imports from here."""
