from ninja import NinjaAPI

api = NinjaAPI(title="encaisse API", version="1")
