# 493: deep nesting beyond 32 levels
require "fileinto";
if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { fileinto "Deep"; } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } } }
