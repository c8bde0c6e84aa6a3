"""The schemas of ``rt2data.schemas.PRECOMPILED`` compiled to Python by fastjsonschema (``rt2data.schemas``)."""
