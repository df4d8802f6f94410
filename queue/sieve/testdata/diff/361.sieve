# 361: deep nesting within the limit
require "fileinto";
if true { if true { if true { if true { if true { if true { if true { if true { if true { if true { fileinto "Deep"; } } } } } } } } } }
