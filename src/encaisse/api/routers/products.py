from django.db.models import Q
from ninja import Query, Router

from encaisse.catalog import services
from encaisse.catalog.models import Product

from ..errors import READ, WRITE, responses
from ..pagination import page
from ..schemas.products import ProductFilters, ProductIn, ProductOut, ProductPage
from . import get_or_404

router = Router(tags=["catalogue"])


@router.get("", response=responses({200: ProductPage}, READ), summary="Liste des articles")
def list_products(request, filters: Query[ProductFilters]):
    products = Product.objects.filter(company=request.company)
    if filters.q.strip():
        q = filters.q.strip()
        products = products.filter(Q(reference__icontains=q) | Q(label__icontains=q))
    if filters.active is not None:
        products = products.filter(is_active=filters.active)
    return page(products.order_by("reference", "id"), filters)


@router.post("", response=responses({201: ProductOut}, WRITE), summary="Créer un article")
def create_product(request, payload: ProductIn):
    data = payload.model_dump(exclude_unset=True)
    product = services.create_product(request.company, data, by=request.user)
    return 201, Product.objects.get(pk=product.pk)  # as stored: "7.3500", not "7.35"


@router.get("/{int:id}", response=responses({200: ProductOut}, 404), summary="Un article")
def get_product(request, id: int):
    return get_or_404(Product.objects.filter(company=request.company), id, "Article introuvable.")
