"""The pin of LiveKit's open-source server: ``go.mod``/``go.sum`` beside this file name the exact
module version and every dependency's checksum. Nothing of LiveKit's source is kept here."""
