# 478: exists with an empty header name
if exists "" { keep; }
