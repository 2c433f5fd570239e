"""Drawing the count: text shaping, badge layout, SVG and PNG.

Pure functions of their inputs; nothing here knows of Flask or of requests.
"""
