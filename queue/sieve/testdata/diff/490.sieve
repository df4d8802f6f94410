# 490: block with only a semicolon is invalid
if true { ; }
