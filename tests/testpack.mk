# testpack.mk: filled by its module's owner
