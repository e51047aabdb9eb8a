"""Publishing: the files, and (as the releases work lands) releases, access and the catalog."""
