# 429: body :text over two plain parts
require ["fileinto", "body"];
if body :text :contains "second part" { fileinto "Second"; }
