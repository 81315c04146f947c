"""Work over WARC files, saved pages and the whole archive: ``demarche
import-warc``, ``demarche reextract`` and ``demarche extract``."""
